"""
Mini-batch SGD, full-batch gradient descent and Adam
====================================================

The notes' gradient descent computes the gradient on all the training rows
and takes one step, :math:`\\theta \\leftarrow \\theta - \\eta \\nabla J`.
Mini-batch SGD takes one step per small batch instead, so an epoch (one pass
over the data) makes many cheap, noisy steps. Adam rescales every
coordinate's step by running estimates of the gradient's first and second
moments.

The same MLP on the digits, from the same initial weights, trained for 40
epochs each way; the loss curves come from
:class:`~sknotes.plotting.LossCurveDisplay`.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from sknotes import MLPFromScratch
from sknotes.plotting import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)

solvers = {
    "full-batch GD (lr 0.5)": dict(solver="sgd", batch_size=None, momentum=0.0, learning_rate=0.5),
    "mini-batch SGD, 32 rows (lr 0.05)": dict(solver="sgd", batch_size=32, momentum=0.0, learning_rate=0.05),
    "Adam, 32 rows (lr 0.001)": dict(solver="adam", batch_size=32, learning_rate=0.001),
}

# %%
# ``tol=0`` and ``n_iter_no_change=max_iter`` keep every run going for all 40
# epochs, so the curves have the same length.
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, params in solvers.items():
    mlp = MLPFromScratch((64,), max_iter=40, tol=0, n_iter_no_change=40, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    LossCurveDisplay.from_estimator(mlp, ax=ax, name=name, log_scale=True)
    print(f"{name:35} final objective {mlp.loss_curve_[-1]:.4f}, training accuracy {mlp.score(X, y):.3f}")
ax.set_title("Same network, same start, 40 epochs")
plt.show()

# %%
# Full-batch gradient descent makes one step per epoch: each is exact but
# there are few of them. Mini-batch SGD makes about 56 per epoch and gets
# much further in the same number of passes over the data. Adam adapts the
# step of every weight and goes further still with a tenth of SGD's learning
# rate.
