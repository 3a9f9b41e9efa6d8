"""``python -m sknotes``: a walk through the notes on scikit-learn's bundled data, beside scikit-learn's own models.

Five models of the notes: linear regression by gradient descent on diabetes,
softmax regression on digits, softmax regression and an MLP on the red and
blue dots (two interleaved half-moons), and an MLP on digits. Each runs in a
MinMaxScaler pipeline (the notes' min-max normalisation). A grid search over
learning rate x weight decay, with 5-fold cross-validation (KFold) on 75% of
the rows, picks its hyperparameters; the chosen model is then scored on the
other 25%. The scikit-learn peer (LinearRegression, LogisticRegression,
MLPClassifier, with their defaults) is cross-validated on the same folds and
tested on the same rows.

It prints one table row per model and writes plots to the output folder:
the loss curves of the chosen models, the decision boundaries on the dots,
and a validation curve over weight decay. No downloads; well under a minute
on two cores.
"""

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import is_classifier
from sklearn.datasets import load_diabetes, load_digits, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

from . import LinearRegressorGD, MLPFromScratch, SoftmaxClassifier, __version__

#: The files the demo writes into its output folder.
PLOTS = ("loss_curves.png", "decision_boundaries.png", "validation_curve_weight_decay.png")


def _number(value):
    """A grid value as the table prints it: a number in short form, or a name such as 'auto'."""
    return value if isinstance(value, str) else f"{value:g}"


def _pipeline(estimator):
    return Pipeline([("scale", MinMaxScaler()), ("model", estimator)])


def _red_blue_dots():
    return make_moons(n_samples=200, noise=0.25, random_state=0)


@dataclass
class Case:
    """One model of the notes on one data set, and its scikit-learn peer."""

    key: str
    data: str
    model: str
    load: object
    estimator: object
    learning_rates: list
    weight_decays: list
    peer: object

    @property
    def metric(self):
        return "accuracy" if is_classifier(self.estimator) else "R^2"


def _cases(quick=False):
    """The demo's models; ``quick`` shrinks the grids and the data for a smoke run."""
    few = (lambda values: values[:2]) if quick else (lambda values: values)
    iters = {"max_iter": 30} if quick else {}

    def digits():
        X, y = load_digits(return_X_y=True)
        return (X[:400], y[:400]) if quick else (X, y)

    dots_mlp = MLPFromScratch((32, 32), max_iter=1000, random_state=0)
    return [
        Case(
            "linear_diabetes", "diabetes", "linear regression, gradient descent",
            lambda: load_diabetes(return_X_y=True),
            LinearRegressorGD(random_state=0, **iters), ["auto", 0.1], few([0.0, 1e-4, 1e-3, 1e-2]),
            LinearRegression(),
        ),
        Case(
            "softmax_digits", "digits", "softmax regression, gradient descent", digits,
            SoftmaxClassifier(random_state=0, **iters), ["auto", 0.3], few([1e-4, 1e-3]),
            LogisticRegression(max_iter=5000),
        ),
        Case(
            "softmax_dots", "red/blue", "softmax regression (no hidden layer)", _red_blue_dots,
            SoftmaxClassifier(random_state=0, **iters), ["auto", 1.0], few([1e-4, 1e-2]),
            LogisticRegression(),
        ),
        Case(
            "mlp_dots", "red/blue", "MLP, 2 hidden layers of 32 ReLU, Adam", _red_blue_dots,
            dots_mlp.set_params(**iters), [0.01, 0.03], few(list(np.logspace(-5, -1, 5))),
            MLPClassifier((32, 32), max_iter=1000, random_state=0),
        ),
        Case(
            "mlp_digits", "digits", "MLP, 64 ReLU, Adam, early stopping", digits,
            MLPFromScratch((64,), early_stopping=True, random_state=0, **iters), [0.001, 0.01], few([1e-4, 1e-2]),
            MLPClassifier((64,), early_stopping=True, random_state=0),
        ),
    ]  # fmt: skip


@dataclass
class Result:
    """What running one case gave."""

    case: Case
    search: GridSearchCV
    X_train: np.ndarray
    y_train: np.ndarray
    cv_score: tuple
    test_score: float
    peer_cv_score: tuple
    peer_test_score: float
    seconds: float


class _FitCounter:
    """A scikit-learn callback (sklearn.callback, 1.9+) that shows how many fits of a search are done.

    Set on the sknotes estimator, it is copied into every clone that the grid
    search fits, and redraws one status line whenever one of them finishes.
    """

    def __init__(self, prefix, total, stream):
        self.prefix, self.total, self.stream, self.done = prefix, total, stream, 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "fit":  # the whole fit, not one epoch
            self.done += 1
            self.stream.write(f"\r{self.prefix} fit {self.done}/{self.total}")
            self.stream.flush()


def _mean_std(scores):
    return float(np.mean(scores)), float(np.std(scores))


def run_case(case, folds, n_jobs=1, progress=None):
    """Grid-search the case's model on 75% of its data, score it on the rest, and do the same for its peer.

    Parameters
    ----------
    case : Case
    folds : int
        Number of cross-validation folds.
    n_jobs : int, default=1
        Parallel fits in the grid search.
    progress : _FitCounter or None
        Set as a callback on the estimator to report every finished fit.

    Returns
    -------
    Result
    """
    start = time.perf_counter()
    X, y = case.load()
    classifier = is_classifier(case.estimator)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y if classifier else None)
    cv = (StratifiedKFold if classifier else KFold)(folds, shuffle=True, random_state=0)
    estimator = case.estimator
    if progress is not None:
        estimator = estimator.set_callbacks(progress)
    grid = {"model__learning_rate": case.learning_rates, "model__weight_decay": case.weight_decays}
    search = GridSearchCV(_pipeline(estimator), grid, cv=cv, return_train_score=True, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
        peer = _pipeline(case.peer)
        peer_cv = cross_val_score(peer, X_train, y_train, cv=cv, n_jobs=n_jobs)
        peer_test = peer.fit(X_train, y_train).score(X_test, y_test)
    best = search.best_index_
    folds_scores = [search.cv_results_[f"split{k}_test_score"][best] for k in range(folds)]
    return Result(
        case, search, X_train, y_train, _mean_std(folds_scores), search.score(X_test, y_test),
        _mean_std(peer_cv), peer_test, time.perf_counter() - start,
    )  # fmt: skip


def format_table(results):
    """The results as a text table, with the chosen hyperparameters below it."""
    header = (
        f"{'data':9} {'model':38} {'metric':8} {'sknotes CV':>15} {'test':>6}   "
        f"{'scikit-learn peer':19} {'CV':>15} {'test':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.case.data:9} {r.case.model:38} {r.case.metric:8} "
            f"{r.cv_score[0]:7.3f} +/- {r.cv_score[1]:.3f} {r.test_score:6.3f}   "
            f"{type(r.case.peer).__name__:19} {r.peer_cv_score[0]:7.3f} +/- {r.peer_cv_score[1]:.3f} "
            f"{r.peer_test_score:6.3f}"
        )
    lines.append("\nChosen by the grid search (learning_rate, weight_decay):")
    for r in results:
        params = r.search.best_params_
        lines.append(
            f"  {r.case.data:9} {r.case.model:38} {_number(params['model__learning_rate'])}, "
            f"{params['model__weight_decay']:g}"
        )
    return "\n".join(lines)


#: The bands of predicted probability on the decision-boundary plot, shared by its colour bar.
PROBABILITY_LEVELS = np.linspace(0.0, 1.0, 11)

#: How the validation curve names the demo's scores: the grid search's training and validation folds (the
#: held-out 25% that the table calls "test" take no part in it).
FOLD_LABELS = {"Train": "training folds", "Test": "CV (validation folds)"}


def loss_curves_figure(results):
    """The training objective per epoch of each chosen model (and its validation score under early stopping).

    Parameters
    ----------
    results : list of Result

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from .plotting import LossCurveDisplay

    fig = Figure(figsize=(12, 7.5), layout="constrained")
    grid = fig.subplots(2, 3).ravel()
    for ax, r in zip(grid, results):
        # the squared error of raw diabetes targets starts in the thousands: a log scale shows the whole descent
        LossCurveDisplay.from_estimator(r.search, ax=ax, name="", log_scale=r.case.key == "linear_diabetes")
        ax.set_title(f"{r.case.data}: {r.case.model}", fontsize=9)
    for ax in grid[len(results) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Training objective J per epoch (validation score, minus the loss, on the right where early stopping ran)"
    )
    return fig


def decision_boundaries_figure(by_key):
    """The red and blue dots over the predicted probability of blue: softmax regression beside the MLP.

    Parameters
    ----------
    by_key : dict of str to Result
        The results, by case key; uses ``'softmax_dots'`` and ``'mlp_dots'``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from sklearn.inspection import DecisionBoundaryDisplay

    fig = Figure(figsize=(10, 4.6), layout="constrained")
    X, y = _red_blue_dots()
    cmap = colormaps["RdBu"]
    axes = fig.subplots(1, 2, sharey=True)
    for ax, key in zip(axes, ("softmax_dots", "mlp_dots")):
        r = by_key[key]
        display = DecisionBoundaryDisplay.from_estimator(
            r.search.best_estimator_, X, response_method="predict_proba", grid_resolution=200, ax=ax,
            cmap=cmap, alpha=0.7, levels=PROBABILITY_LEVELS, vmin=0.0, vmax=1.0, xlabel="$x_1$", ylabel="$x_2$",
        )  # fmt: skip
        for label, colour in ((0, "red"), (1, "blue")):
            ax.scatter(
                *X[y == label].T, color=cmap(float(label)), edgecolors="k", s=18, label=f"{colour} (class {label})"
            )
        ax.set_title(f"{r.case.model}\ntest accuracy {r.test_score:.2f}", fontsize=10)
    axes[1].set_ylabel("")
    # both panels share PROBABILITY_LEVELS and the colour scale, so one colour bar serves them
    fig.colorbar(display.surface_, ax=axes, label="predicted probability of blue (class 1)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, title="the dots")
    fig.suptitle("Red and blue dots: a hidden layer bends the decision boundary")
    return fig


def validation_curve_figure(result):
    """Accuracy against weight decay at the chosen learning rate, on the training and the validation folds.

    Parameters
    ----------
    result : Result
        A grid search over ``model__learning_rate`` x ``model__weight_decay`` (the MLP on the dots).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from sklearn.model_selection import ValidationCurveDisplay

    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.subplots()
    cv_results, best_lr = result.search.cv_results_, result.search.best_params_["model__learning_rate"]
    rows = np.flatnonzero(np.asarray(cv_results["param_model__learning_rate"]) == best_lr)
    n_folds = result.search.n_splits_
    scores = {
        kind: np.array([[cv_results[f"split{k}_{kind}_score"][i] for k in range(n_folds)] for i in rows])
        for kind in ("train", "test")
    }
    display = ValidationCurveDisplay(
        param_name="weight_decay",
        param_range=np.asarray(cv_results["param_model__weight_decay"])[rows].astype(float),
        train_scores=scores["train"],
        test_scores=scores["test"],
        score_name="accuracy",
    ).plot(ax=ax)
    for line in display.lines_:
        line.set_label(FOLD_LABELS[line.get_label()])
    ax.set_xscale("log")
    best_wd = result.search.best_params_["model__weight_decay"]
    ax.axvline(best_wd, color="gray", linestyle=":", label=f"chosen: {best_wd:g}")
    ax.legend()
    ax.set_title(
        f"MLP on the red/blue dots (learning_rate={_number(best_lr)}): {n_folds}-fold CV\n"
        "too little weight decay overfits, too much underfits",
        fontsize=10,
    )
    return fig


def write_plots(results, out):
    """Draw the loss curves, the dots' decision boundaries and the weight-decay validation curve into ``out``.

    Returns the paths written. Uses matplotlib's object-oriented API only (no
    pyplot windows), so it works on a headless machine.
    """
    out.mkdir(parents=True, exist_ok=True)
    by_key = {r.case.key: r for r in results}
    figures = [
        loss_curves_figure(results),
        decision_boundaries_figure(by_key),
        validation_curve_figure(by_key["mlp_dots"]),
    ]
    paths = [out / name for name in PLOTS]
    for fig, path in zip(figures, paths):
        fig.savefig(path, dpi=110)
    return paths


def _matplotlib_available():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _parser():
    summary, details = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(
        prog="python -m sknotes",
        description=summary.replace("``", "") + "\n\n" + details.replace("``", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("sknotes-demo"),
        help="folder for the plots (default: ./%(default)s)",
    )
    parser.add_argument("--no-plots", action="store_true", help="print the table only; write no plots")
    parser.add_argument(
        "--n-jobs", metavar="N", type=int, default=1, help="fits run in parallel by each grid search (default: 1)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run in a few seconds: small grids, few epochs, fewer folds"
    )
    return parser


def main(argv=None):
    """Run the demo: fit, print the table, write the plots.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments (``sys.argv[1:]`` if None); see ``python -m sknotes --help``.

    Returns
    -------
    results : list of Result
    """
    args = _parser().parse_args(argv)
    plots = not args.no_plots
    if plots and not _matplotlib_available():
        print("matplotlib is not installed (pip install 'sknotes[plot]'): printing the table only.\n")
        plots = False
    folds = 3 if args.quick else 5
    cases = _cases(quick=args.quick)
    print(
        f"sknotes {__version__}: the notes' models on scikit-learn's bundled data, beside scikit-learn's peers.\n"
        f"Each runs in a MinMaxScaler pipeline; a grid search over learning_rate x weight_decay with {folds}-fold "
        "CV on 75% of the rows\npicks it, and the other 25% test it. The peers keep their defaults.\n",
        flush=True,
    )
    live = sys.stdout.isatty() and args.n_jobs == 1 and hasattr(cases[0].estimator, "set_callbacks")
    start, results = time.perf_counter(), []
    for k, case in enumerate(cases, 1):
        n_fits = len(case.learning_rates) * len(case.weight_decays) * folds + 1
        prefix = f"[{k}/{len(cases)}] {case.data}: {case.model}, {n_fits} fits ..."
        progress = _FitCounter(prefix, n_fits, sys.stdout) if live else None
        if progress is None:
            print(prefix, end="", flush=True)
        # the matrices are small: one BLAS thread per fit beats several that wait on each other
        with threadpool_limits(1, user_api="blas"):
            result = run_case(case, folds, n_jobs=args.n_jobs, progress=progress)
        results.append(result)
        print(f"{' done' if progress is None else ''} in {result.seconds:.1f} s", flush=True)
    print("\n" + format_table(results) + "\n")
    if plots:
        print(f"Plots in {args.out}/:", flush=True)
        for path in write_plots(results, args.out):
            print(f"  {path.name}")
    print(f"\nTotal {time.perf_counter() - start:.1f} s.")
    return results


if __name__ == "__main__":
    main()
