"""``python -m sknotes``: the notes' models on scikit-learn's bundled data, beside scikit-learn's own.

Each model runs in a ``MinMaxScaler`` pipeline: a grid search over learning
rate x weight decay picks its parameters (inner 3-fold CV), and 5-fold
cross-validation scores the whole search. scikit-learn's closed-form or
second-order peers are scored the same way. No downloads; well under a
minute on two cores.
"""

import argparse
import time
import warnings

from sklearn.datasets import load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from . import LinearRegressorGD, SoftmaxClassifier, __version__


def _pipeline(estimator):
    return Pipeline([("scale", MinMaxScaler()), ("model", estimator)])


def _cases():
    """(notes topic, data loader, metric name, outer CV, sknotes search, scikit-learn peer)."""
    grid = {"model__learning_rate": [0.01, 0.1], "model__weight_decay": [0.0, 1e-3]}
    regressor = GridSearchCV(_pipeline(LinearRegressorGD(solver="sgd", random_state=0)), grid, cv=3)
    grid = {"model__learning_rate": [0.03, 0.3], "model__weight_decay": [1e-4, 1e-3]}
    classifier = GridSearchCV(_pipeline(SoftmaxClassifier(random_state=0)), grid, cv=3)
    reg_cv, clf_cv = KFold(5, shuffle=True, random_state=0), StratifiedKFold(5, shuffle=True, random_state=0)
    peer = _pipeline(LogisticRegression(max_iter=5000))
    return [
        ("linear regression, mini-batch SGD", load_diabetes, "R^2", reg_cv, regressor, _pipeline(LinearRegression())),
        ("softmax regression, mini-batch SGD", load_wine, "accuracy", clf_cv, classifier, peer),
        ("softmax regression, mini-batch SGD", load_digits, "accuracy", clf_cv, classifier, peer),
    ]


def main(argv=None):
    """Run the demo and print one table row per model and data set."""
    parser = argparse.ArgumentParser(prog="python -m sknotes", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    print(f"sknotes {__version__}: 5-fold CV scores (mean +/- std) in a MinMaxScaler pipeline\n")
    header = f"{'data':9} {'model':36} {'metric':8} {'sknotes':>15} {'scikit-learn':>15} {'time':>6}"
    print(header + "\n" + "-" * len(header))
    start = time.perf_counter()
    for topic, load, metric, cv, search, peer in _cases():
        X, y = load(return_X_y=True)
        tic = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ours = cross_val_score(search, X, y, cv=cv)
        theirs = cross_val_score(peer, X, y, cv=cv)
        name = load.__name__.removeprefix("load_")
        print(
            f"{name:9} {topic:36} {metric:8} {ours.mean():8.3f} +/- {ours.std():.3f}"
            f" {theirs.mean():8.3f} +/- {theirs.std():.3f} {time.perf_counter() - tic:5.1f}s",
            flush=True,
        )
    print(f"\nscikit-learn peers: LinearRegression, LogisticRegression. Total {time.perf_counter() - start:.1f} s.")


if __name__ == "__main__":
    main()
