"""
Early stopping
==============

The longer a flexible model trains, the closer it fits its training rows,
noise included, and at some point its error on new rows starts to climb
again: the overfitting of the notes, seen along the epochs. Early stopping
holds out part of the training rows, scores them after every epoch, stops
once the score has not improved for ``n_iter_no_change`` epochs, and keeps
the parameters of the best epoch.

Here an MLP learns the digits with a fifth of the training labels replaced
by random ones, noise that it can only memorise.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sknotes import MLPFromScratch
from sknotes.plotting import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(MinMaxScaler().fit_transform(X), y, random_state=0)
rng = np.random.RandomState(0)
noisy = rng.uniform(size=y_train.shape[0]) < 0.2
y_train = np.where(noisy, rng.randint(0, 10, size=y_train.shape[0]), y_train)

# early stopping scores the held-out rows by their accuracy here (the default, scoring='loss', is minus their loss;
# examples/plot_early_stopping_scoring.py compares the two)
params = dict(hidden_layer_sizes=(128,), learning_rate=0.01, weight_decay=0.0, scoring="accuracy", random_state=0)

# %%
# Trained for 60 epochs, with 10% of the training rows held out only to watch
# the validation score (``n_iter_no_change=60`` never lets it stop)...
watched = MLPFromScratch(**params, max_iter=60, early_stopping=True, n_iter_no_change=60)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    watched.fit(X_train, y_train)

# %%
# ... and with early stopping proper: patience of 10 epochs.
stopped = MLPFromScratch(**params, max_iter=60, early_stopping=True, n_iter_no_change=10).fit(X_train, y_train)
best_epoch = int(np.argmax(stopped.validation_scores_)) + 1
print(f"early stopping ran {stopped.n_iter_} epochs and kept epoch {best_epoch}")
print(f"test accuracy: {stopped.score(X_test, y_test):.3f} with early stopping")

# %%
# The validation score of the long run stops improving after some 15 epochs
# and then drifts down while the training objective keeps falling: the
# network is memorising the random labels. (The held-out rows come from the
# training rows, random labels included, so their accuracy stays well below
# the clean test set's.) ``watched`` keeps its best epoch's parameters, as
# early stopping does, so the end of a full run is scored on a model trained
# without any hold-out:
last = MLPFromScratch(**params, max_iter=60, tol=0, n_iter_no_change=60)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    last.fit(X_train, y_train)
print(f"test accuracy: {last.score(X_test, y_test):.3f} after all 60 epochs, on all the training rows")

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")  # room for the right-hand axis
LossCurveDisplay.from_estimator(watched, ax=ax, name="60 epochs")
ax.axvline(stopped.n_iter_, color="gray", linestyle=":")
ax.text(stopped.n_iter_ + 1, 0.03, "early stopping ends here", color="gray", transform=ax.get_xaxis_transform())
ax.set_title("MLP on digits with 20% random labels")
plt.show()
