"""
Early stopping on any score, with a validation set of your own
==============================================================

Early stopping scores a validation set after every epoch and keeps the best
epoch's parameters. Which score? By default (``scoring='loss'``, as in
scikit-learn's HistGradientBoosting) minus the validation loss, the
cross-entropy here; any scorer name, such as ``'accuracy'``, or a callable
``scorer(estimator, X, y)`` works too. The scores of every epoch are kept:
``validation_scores_``, and the same score of the training rows,
``train_scores_``.

The validation set can be yours: ``fit(X, y, X_val=..., y_val=...)`` then
trains on every row of ``X``. In a pipeline, metadata routing passes it to
the estimator, and ``transform_input=["X_val"]`` has the pipeline scale it
as it scales ``X``.

Here an MLP learns the digits with a fifth of the training labels replaced
by random ones (noise it can only memorise), validated on clean rows.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import MLPFromScratch

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=0)
rng = np.random.RandomState(0)
noisy = rng.uniform(size=y_train.shape[0]) < 0.2
y_train = np.where(noisy, rng.randint(0, 10, size=y_train.shape[0]), y_train)


def model(scoring):
    mlp = MLPFromScratch(
        (128,), learning_rate=0.003, weight_decay=0.0, max_iter=60, early_stopping=True, n_iter_no_change=10,
        scoring=scoring, random_state=0,
    ).set_fit_request(X_val=True, y_val=True)  # fmt: skip
    # the pipeline scales X_val as it scales X (fitted on X_train only)
    return Pipeline([("scale", MinMaxScaler()), ("mlp", mlp)], transform_input=["X_val"])


# metadata routing on (here for this block; ``sklearn.set_config`` turns it on for the session)
with sklearn.config_context(enable_metadata_routing=True):
    models = {
        scoring: model(scoring).fit(X_train, y_train, X_val=X_val, y_val=y_val) for scoring in ("loss", "accuracy")
    }
for scoring, pipe in models.items():
    mlp = pipe[-1]
    best = int(np.argmax(mlp.validation_scores_)) + 1
    print(
        f"scoring={scoring!r}: {mlp.n_iter_} epochs, best epoch {best}, test accuracy {pipe.score(X_test, y_test):.3f}"
    )

# %%
# The accuracy of the validation rows moves in steps of one row: once it has
# peaked it can only tie or fall, and after ``n_iter_no_change`` epochs of
# that, early stopping ends the fit. The loss moves a little at every epoch
# (it also sees how sure the network is of the rows it gets right) and still
# finds slightly better epochs later on: ``scoring='loss'`` keeps a later
# epoch, here the better model on the test rows. The training scores, on the
# noisy labels, keep improving while the validation scores level off: that
# gap is the overfitting early stopping guards against.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
for ax, (scoring, pipe) in zip(axes, models.items()):
    mlp = pipe[-1]
    epochs = np.arange(1, mlp.n_iter_ + 1)
    ax.plot(epochs, mlp.train_scores_, label="training rows (20% noisy labels)")
    ax.plot(epochs, mlp.validation_scores_, label="validation rows (X_val)")
    best = int(np.argmax(mlp.validation_scores_)) + 1
    ax.axvline(best, color="gray", linestyle=":", label=f"best epoch ({best}), kept")
    ax.set(xlabel="epoch", ylabel="minus the cross-entropy" if scoring == "loss" else scoring)
    ax.set_title(f"scoring={scoring!r}")
axes[0].legend()
plt.show()
