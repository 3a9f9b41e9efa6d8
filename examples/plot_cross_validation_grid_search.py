"""
K-fold cross-validation and a grid search
=========================================

With little data there is none to spare for a separate validation set.
K-fold cross-validation splits the training rows into :math:`K` folds,
trains :math:`K` times, each time on :math:`K - 1` folds, validates on the
fold left out, and averages the :math:`K` validation scores.

A grid search runs that for every combination of hyperparameters, here the
learning rate :math:`\\eta` and the weight decay :math:`\\lambda`, and keeps
the best. Since every sknotes estimator is a scikit-learn estimator, this is
:class:`~sklearn.model_selection.KFold` and
:class:`~sklearn.model_selection.GridSearchCV` unchanged. The scaler sits in
the pipeline, so each fold's minimum and maximum come from its own training
rows only.
"""

# %%
# One model, five folds
# ---------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import SoftmaxClassifier

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(MinMaxScaler(), SoftmaxClassifier(random_state=0))
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)

scores = cross_validate(model, X_train, y_train, cv=cv, return_train_score=True)
for k, (train, valid) in enumerate(zip(scores["train_score"], scores["test_score"]), 1):
    print(f"fold {k}: training accuracy {train:.3f}, validation accuracy {valid:.3f}")
print(f"mean validation accuracy {scores['test_score'].mean():.3f} +/- {scores['test_score'].std():.3f}")

# %%
# Every learning rate with every weight decay
# -------------------------------------------
# 3 x 5 combinations, 5 folds each: 75 fits, then one refit of the best on
# all the training rows. To keep this quick every fit stops after 100 epochs
# (``max_iter=100``); the smallest learning rate does not converge in that
# time, and its warnings are silenced here: the heat map below shows what
# that costs.
learning_rates = [0.01, 0.1, 1.0]
weight_decays = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
search = GridSearchCV(
    model.set_params(softmaxclassifier__max_iter=100),
    {"softmaxclassifier__learning_rate": learning_rates, "softmaxclassifier__weight_decay": weight_decays},
    cv=cv,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)
print("best:", search.best_params_, f"CV accuracy {search.best_score_:.3f}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
# The grid as a heat map of mean validation accuracy. A learning rate too
# small leaves the model unfinished within ``max_iter`` epochs; a weight decay
# too large pulls the weights towards zero and underfits.
grid = search.cv_results_["mean_test_score"].reshape(len(learning_rates), len(weight_decays))
fig, ax = plt.subplots(figsize=(6, 4))
image = ax.imshow(grid, cmap="viridis", vmin=grid.min(), vmax=1)
for (i, j), value in np.ndenumerate(grid):
    ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="w" if value < grid.mean() else "k")
ax.set_xticks(range(len(weight_decays)), [f"{v:g}" for v in weight_decays])
ax.set_yticks(range(len(learning_rates)), [f"{v:g}" for v in learning_rates])
ax.set_xlabel("weight_decay")
ax.set_ylabel("learning_rate")
ax.set_title("Wine: 5-fold CV accuracy of SoftmaxClassifier")
fig.colorbar(image)
plt.show()
