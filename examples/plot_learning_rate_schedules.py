"""
Learning-rate schedules
=======================

A fixed step is the notes' gradient descent. ``learning_rate_schedule``
changes the step from epoch to epoch, by a factor on ``learning_rate``:
scikit-learn's ``'invscaling'`` (``1 / (t + 1)^power_t``, ``t`` the samples
seen) and ``'adaptive'`` (divided by 5 when the objective stops improving
by ``tol``), and a cosine decay after a linear warm-up (``'cosine'``). The
rate of every epoch is recorded in ``learning_rate_curve_``.

Here an MLP learns the digits by mini-batch SGD with momentum, at a rate
large enough to make progress fast, and each schedule decides what
happens next.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sknotes import MLPFromScratch

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

schedules = {
    "constant": {},
    "invscaling (power_t=0.25)": {"learning_rate_schedule": "invscaling", "power_t": 0.25},
    "adaptive (tol=1e-3)": {"learning_rate_schedule": "adaptive", "tol": 1e-3, "n_iter_no_change": 2},
    "cosine (warmup=5)": {"learning_rate_schedule": "cosine", "warmup": 5},
}
fitted = {}
for name, settings in schedules.items():
    settings = {"tol": 0.0, **settings}  # tol=0: every schedule runs its 40 epochs, except for 'adaptive''s stop
    clf = MLPFromScratch((32,), solver="sgd", learning_rate=0.2, batch_size=64, max_iter=40, random_state=0, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted[name] = clf.fit(X_train, y_train)
    print(f"{name:28} {clf.n_iter_:3d} epochs, final objective {clf.loss_curve_[-1]:.4f}, "
          f"test accuracy {clf.score(X_test, y_test):.3f}")  # fmt: skip

# %%
# Left, the rates each schedule set (``learning_rate_curve_``); right, the
# objective at every epoch (``loss_curve_``).
fig, (rates, losses) = plt.subplots(1, 2, figsize=(11, 4.5))
for name, clf in fitted.items():
    epochs = range(1, len(clf.loss_curve_) + 1)
    rates.plot(epochs, clf.learning_rate_curve_, label=name)
    losses.plot(epochs, clf.loss_curve_, label=name)
rates.set(xlabel="epoch", ylabel="learning rate", yscale="log", title="learning_rate_curve_")
losses.set(xlabel="epoch", ylabel="objective J", yscale="log", title="loss_curve_")
rates.legend()
fig.tight_layout()
plt.show()

# %%
# scikit-learn's ``'invscaling'`` counts ``t`` in samples, as its MLP does:
# after the first epoch over 1347 rows the rate is already
# ``1348^-power_t`` times the first one (a sixth at ``power_t=0.25``, a 37th
# at the default 0.5), then it barely moves, and its objective ends the
# highest. ``'adaptive'`` keeps the rate until the objective stalls, then
# divides it by 5 each time the objective fails to improve by ``tol`` for
# ``n_iter_no_change + 1`` epochs in a row: its objective flattens at each
# division. The cosine schedule warms up over 5 epochs, sparing the random
# initial weights the full rate, and lowers the rate smoothly towards 0, so
# that the last epochs take small steps.
#
# At this rate the constant step is already a good one: it reaches about
# the same objective and test accuracy as the adaptive and cosine
# schedules. What differs is the shape of the curves: with the constant
# step the objective keeps bouncing, with the decaying rates it settles as
# they get small. Note that a schedule lowers a rate but does not make a
# diverging one safe: at 0.5 the constant step diverges here (the fit
# raises ``ValueError``), and so would the cosine schedule, whose peak is
# the same rate.
