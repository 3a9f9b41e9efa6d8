"""He or Glorot weights for ReLU layers: what the starting point does to the MLPs' quality.

Run ``python benchmarks/initialisation.py`` (about 5 minutes on 2 cores). sknotes draws ReLU
layers' weights He-uniform, ``U(+-sqrt(6 / n_in))``, as its design fixes; scikit-learn's MLPs
draw them Glorot-uniform, ``U(+-sqrt(6 / (n_in + n_out)))``. This script fits the sknotes MLPs
both ways (the Glorot fits use the same code, with ``Dense.init`` told to draw Glorot weights)
beside scikit-learn's, on the same folds with the same seeds:

cv       5-fold cross-validation with default parameters, StandardScaler in a pipeline, mean
         over seeds: accuracy for classifiers, R^2 for regressors.
budget   test accuracy after a fixed number of Adam epochs (no early stopping) on the
         10-class problem of benchmarks/run.py, 100 -> 256 -> 128 -> 10, batch 256.

Nothing is timed. Jobs run in 2 processes with one BLAS thread each.
"""

import warnings

import numpy as np
from joblib import Parallel, delayed
from run import glorot_init
from sklearn.datasets import load_digits, load_wine, make_classification, make_friedman1, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknotes import MLPFromScratch, MLPRegressorFromScratch

SEEDS = (0, 1, 2)
VARIANTS = ("sknotes He", "sknotes Glorot", "scikit-learn")
CV_CASES = {  # name: (data, hidden layers, classifier?)
    "digits": (lambda: load_digits(return_X_y=True), (100,), True),
    "moons": (lambda: make_moons(n_samples=2000, noise=0.25, random_state=0), (100,), True),
    "wine": (lambda: load_wine(return_X_y=True), (100,), True),
    "10 classes, 20k x 100": (
        lambda: make_classification(20_000, n_features=100, n_informative=60, n_classes=10, random_state=0),
        (256, 128),
        True,
    ),
    "Friedman #1, 5k (R^2)": (lambda: make_friedman1(n_samples=5000, noise=1.0, random_state=0), (100,), False),
}
BUDGET_EPOCHS = (5, 10, 20)


def model(variant, hidden, classifier, seed, **params):
    if variant == "scikit-learn":
        return (MLPClassifier if classifier else MLPRegressor)(hidden_layer_sizes=hidden, random_state=seed, **params)
    return (MLPFromScratch if classifier else MLPRegressorFromScratch)(hidden, random_state=seed, **params)


def fit_in(variant, fit):
    """Run ``fit()`` with the initialisation of ``variant``, one BLAS thread, warnings off."""
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if variant == "sknotes Glorot":
            with glorot_init():
                return fit()
        return fit()


def cv_job(case, variant, seed):
    load, hidden, classifier = CV_CASES[case]
    X, y = load()
    folds = (StratifiedKFold if classifier else KFold)(5, shuffle=True, random_state=seed)
    pipe = make_pipeline(StandardScaler(), model(variant, hidden, classifier, seed))
    return fit_in(variant, lambda: cross_val_score(pipe, X, y, cv=folds).mean())


def budget_job(epochs, variant, seed):
    X, y = make_classification(30_000, n_features=100, n_informative=60, n_classes=10, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    params = dict(batch_size=256, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)
    params |= {"learning_rate_init": 1e-3} if variant == "scikit-learn" else {"learning_rate": 1e-3}
    est = model(variant, (256, 128), True, seed, **params)
    fit_in(variant, lambda: est.fit(scaler.transform(X_train), y_train))
    return est.score(scaler.transform(X_test), y_test)


def table(title, cases, job):
    jobs = [(case, variant, seed) for case in cases for variant in VARIANTS for seed in SEEDS]
    scores = Parallel(n_jobs=2)(delayed(job)(*args) for args in jobs)
    means = {}
    for (case, variant, _), score in zip(jobs, scores):
        means.setdefault((case, variant), []).append(score)
    print(f"\n## {title} (mean over seeds {SEEDS})")
    print(f"{'':<26}" + "".join(f"{v:>16}" for v in VARIANTS))
    for case in cases:
        print(f"{case!s:<26}" + "".join(f"{np.mean(means[case, v]):>16.4f}" for v in VARIANTS))


if __name__ == "__main__":
    table("5-fold CV, default parameters", list(CV_CASES), cv_job)
    table("test accuracy after N epochs of Adam, 10 classes, 30k x 100", BUDGET_EPOCHS, budget_job)
