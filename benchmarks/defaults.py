"""Defaults end to end: every estimator at its default parameters beside its scikit-learn peer at its defaults.

Run ``python benchmarks/defaults.py`` (about 5 minutes on 2 cores; ``--quick`` for
fewer seeds and data sets, ``--seeds N``). A user sees ``fit()`` at default
parameters, the score and the clock, not epochs, so that is what this measures:

* 9 data sets: scikit-learn's bundled iris, wine, breast_cancer, digits and
  diabetes, and generated ones, three of them deliberately unscaled (features
  with scales from 0.01 to 1000 and offsets);
* each on raw ``X`` and in a ``MinMaxScaler`` pipeline;
* each estimator beside its peer, both at their defaults (``random_state`` set):
  SoftmaxClassifier / LogisticRegression, MLPFromScratch / MLPClassifier,
  LinearRegressorGD / SGDRegressor, MLPRegressorFromScratch / MLPRegressor;
  and LinearRegressorGD beside LinearRegression, the closed-form least
  squares, as the reference of its score (marked "ref": its time ratio is
  shown but left out of the summary, since no iterative method competes
  with a direct solver on a few hundred rows);
* several seeds: each seed draws its own 75/25 train/test split (stratified
  for classifiers) and seeds both estimators;
* the two fits of a case run in turn, sknotes first on even seeds and the peer
  first on odd ones, and a fit that takes less than ``--min-time`` is repeated
  (median of the repeats), so both see the same machine state.

For every case it prints the median fit time of each side over the seeds,
the ratio (peer time / sknotes time: above 1 means sknotes is faster), the
median test score (accuracy or R^2) of each side and their difference, then
a summary: the geometric mean of the ratios and the slowest case (timed cases),
and the cases that score worse than their peer (by more than 0.01 accuracy or
0.02 R^2) or raise (all cases). Nothing here is asserted: the test suite never times anything.
"""

import argparse
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_friedman1,
    make_regression,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDRegressor
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

from sknotes import LinearRegressorGD, MLPFromScratch, MLPRegressorFromScratch, SoftmaxClassifier

#: A case scores worse than its peer when it is below the peer's median score by more than this.
MARGIN = {"accuracy": 0.01, "R^2": 0.02}


def _unscale(X, seed):
    """Give the features scales from 0.01 to 1000 and offsets, as raw measurements often have."""
    rng = np.random.RandomState(seed)
    scales = np.logspace(-2, 3, X.shape[1])[rng.permutation(X.shape[1])]
    return X * scales + rng.uniform(-1, 1, X.shape[1]) * scales * 3


def _classification_many():
    X, y = make_classification(
        n_samples=20_000, n_features=40, n_informative=20, n_classes=6, n_clusters_per_class=2, random_state=0
    )
    return X * 5 + 3, y  # the "unscaled" set: one scale, far from the origin


def _classification_scales():
    X, y = make_classification(n_samples=5_000, n_features=20, n_informative=10, n_classes=3, random_state=1)
    return _unscale(X, 1), y


def _regression_scales():
    X, y = make_regression(n_samples=20_000, n_features=20, n_informative=15, noise=10.0, random_state=2)
    return _unscale(X, 2), y


def _friedman():
    return make_friedman1(n_samples=2_000, noise=1.0, random_state=3)


CLASSIFICATION = {
    "iris": lambda: load_iris(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "cls-20kx40": _classification_many,
    "cls-scales": _classification_scales,
}
REGRESSION = {
    "diabetes": lambda: load_diabetes(return_X_y=True),
    "friedman1": _friedman,
    "reg-scales": _regression_scales,
}
QUICK = {"iris", "breast_cancer", "digits", "diabetes", "reg-scales"}

PAIRS = {  # sknotes estimator, its peer, whether the case counts in the speed summary
    "classification": [
        (SoftmaxClassifier(), LogisticRegression(), True),
        (MLPFromScratch(), MLPClassifier(), True),
    ],
    "regression": [
        (LinearRegressorGD(), SGDRegressor(), True),
        (LinearRegressorGD(), LinearRegression(), False),
        (MLPRegressorFromScratch(), MLPRegressor(), True),
    ],
}


@dataclass
class Case:
    data: str
    scaled: bool
    ours: object
    peer: object
    timed: bool = True
    times: tuple = ((), ())
    scores: tuple = ((), ())
    errors: tuple = ((), ())

    @property
    def metric(self):
        return "accuracy" if is_classifier(self.ours) else "R^2"

    def label(self):
        prep = "minmax" if self.scaled else "raw"
        return f"{self.data:<13} {prep:<6} {type(self.ours).__name__:<23} {type(self.peer).__name__:<18}"


def _seeded(estimator, seed):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    return estimator


def _fit_and_score(estimator, scaled, data, min_time):
    """Median fit time over repeats (at least ``min_time`` seconds in all) and the test score."""
    X_train, X_test, y_train, y_test = data
    times = []
    while True:
        model = make_pipeline(MinMaxScaler(), clone(estimator)) if scaled else clone(estimator)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at defaults is part of what is measured
            tic = time.perf_counter()
            model.fit(X_train, y_train)
            times.append(time.perf_counter() - tic)
        if sum(times) >= min_time or len(times) >= 25:
            break
    return statistics.median(times), model.score(X_test, y_test)


def run(cases, datasets, seeds, min_time):
    for seed in range(seeds):
        splits = {}
        for name, load in datasets.items():
            X, y = load()
            stratify = y if name in CLASSIFICATION else None
            splits[name] = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)
        for case in cases:
            sides = [_seeded(case.ours, seed), _seeded(case.peer, seed)]
            order = (0, 1) if seed % 2 == 0 else (1, 0)
            results = [None, None]
            for side in order:
                try:
                    results[side] = _fit_and_score(sides[side], case.scaled, splits[case.data], min_time)
                except Exception as error:  # noqa: BLE001 -- an error at defaults is a result to report
                    results[side] = error
            times, scores, errors = (list(part) for part in (case.times, case.scores, case.errors))
            for side, result in enumerate(results):
                if isinstance(result, Exception):
                    errors[side] = [*errors[side], f"{type(result).__name__}: {str(result)[:60]}"]
                else:
                    times[side] = [*times[side], result[0]]
                    scores[side] = [*scores[side], result[1]]
            case.times, case.scores, case.errors = tuple(times), tuple(scores), tuple(errors)
        print(f"  seed {seed + 1}/{seeds} done", file=sys.stderr, flush=True)


def report(cases):
    header = f"{'data':<13} {'X':<6} {'sknotes':<23} {'peer':<18} {'time':>8} {'peer':>8} {'ratio':>7}"
    print(f"{header} {'score':>7} {'peer':>7} {'diff':>7}")
    print("-" * (len(header) + 24))
    ratios, worse, failed = [], [], []
    for case in cases:
        if any(case.errors):
            failed.append(case)
            which = "sknotes" if case.errors[0] else "peer"
            print(f"{case.label()} ERROR ({which}): {(case.errors[0] or case.errors[1])[0]}")
            continue
        ours_t, peer_t = (statistics.median(t) for t in case.times)
        ours_s, peer_s = (statistics.median(s) for s in case.scores)
        ratio = peer_t / ours_t
        if case.timed:
            ratios.append((ratio, case))
        flag = "" if case.timed else "  ref"
        if ours_s < peer_s - MARGIN[case.metric]:
            worse.append(case)
            flag += "  WORSE"
        print(
            f"{case.label()} {ours_t:8.3f} {peer_t:8.3f} {ratio:6.2f}x "
            f"{ours_s:7.3f} {peer_s:7.3f} {ours_s - peer_s:+7.3f}{flag}"
        )
    geomean = float(np.exp(np.mean([np.log(r) for r, _ in ratios]))) if ratios else float("nan")
    slowest = min(ratios, key=lambda rc: rc[0]) if ratios else (float("nan"), None)
    print()
    slowest_label = " ".join(slowest[1].label().split()[:3]) if slowest[1] else "-"
    print(
        f"{len(ratios)} timed cases: geometric mean of peer time / sknotes time {geomean:.2f}x; "
        f"slowest {slowest[0]:.2f}x ({slowest_label}). {len(cases)} cases: {len(worse)} score worse than the peer; "
        f"{len(failed)} raise."
    )
    for case in worse:
        print(f"  worse: {case.label()}")
    for case in failed:
        print(f"  error: {case.label()}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 data sets, 2 seeds")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3; 2 with --quick)")
    parser.add_argument("--min-time", type=float, default=0.2, help="repeat a fit until this many seconds (0.2)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: all)")
    parser.add_argument("--only", nargs="*", default=None, help="data sets or estimator names to keep")
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 3)

    datasets = {**CLASSIFICATION, **REGRESSION}
    if args.quick:
        datasets = {name: load for name, load in datasets.items() if name in QUICK}
    cases = []
    for name in datasets:
        kind = "classification" if name in CLASSIFICATION else "regression"
        for scaled in (False, True):
            for ours, peer, timed in PAIRS[kind]:
                cases.append(Case(name, scaled, ours, peer, timed))
    if args.only:
        keep = set(args.only)
        cases = [c for c in cases if keep & {c.data, type(c.ours).__name__, type(c.peer).__name__}]
        datasets = {name: load for name, load in datasets.items() if any(c.data == name for c in cases)}
    threads = args.threads or "all"
    print(f"{len(cases)} cases, {seeds} seeds, fits repeated to {args.min_time} s; BLAS threads: {threads}")
    with threadpool_limits(args.threads):
        run(cases, datasets, seeds, args.min_time)
    report(cases)


if __name__ == "__main__":
    main()
