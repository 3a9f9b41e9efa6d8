"""sknotes beside its scikit-learn peers: time, quality and memory, in one process.

Run ``python benchmarks/run.py`` (about three minutes on 2 cores; ``--quick``
for a smaller, noisier version). Every case fits sknotes and its peer on the
same data with the same architecture and epochs, alternating the two over
``--repeats`` runs and printing medians and ratios (peer time / sknotes time:
above 1 means sknotes is faster). BLAS threads are fixed with threadpoolctl and
printed. Nothing here is asserted: the test suite never times anything.

Cases
-----
mlp        MLPFromScratch vs MLPClassifier, 100 -> 256 -> 128 -> 10, adam, batch 256,
           float64 and float32, the same objective (MLPClassifier's alpha is divided by
           the batch size: weight_decay = alpha / batch_size); seconds per epoch, test
           accuracy, and the epoch time of the network's matrix products alone (the GEMM
           floor); sknotes again with diagnostics=True (timed, alternated with the rest:
           the diagnostics' overhead per epoch). An extra, untimed fit starts sknotes from He's
           initialisation (init='he'; the default is Glorot's, as scikit-learn's).
linear     LinearRegressorGD (defaults: 'sgd', full batch, learning_rate='auto'; and 'lbfgs') in a MinMaxScaler pipeline
           vs SGDRegressor (defaults) and LinearRegression on make_regression(200k x 50).
softmax    SoftmaxClassifier(solver='lbfgs') vs LogisticRegression at the equivalent C
           on make_classification(100k x 50, 5 classes), standardised and unscaled: time and log-loss.
predict    predict() on a single row, MLP of the mlp case.
memory     peak memory (tracemalloc) of a fit over the size of X, float64 and float32.
"""

import argparse
import statistics
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDRegressor
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from sknotes import LinearRegressorGD, MLPFromScratch, SoftmaxClassifier

HIDDEN = (256, 128)


def alternate(fits, repeats):
    """Run each named fit ``repeats`` times, alternating between them; medians and last results."""
    times, results = {name: [] for name in fits}, {}
    for _ in range(repeats):
        for name, fit in fits.items():
            tic = time.perf_counter()
            results[name] = fit()
            times[name].append(time.perf_counter() - tic)
    return {name: statistics.median(t) for name, t in times.items()}, results


def row(*cells, widths=(34, 12, 12, 12, 10)):
    print("  ".join(f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(zip(cells, widths))))


def mlp_data(n_samples):
    X, y = make_classification(
        n_samples=n_samples + 10_000, n_features=100, n_informative=60, n_classes=10, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, train_size=n_samples, random_state=0)


def gemm_epochs(n_samples, dtype, batch_size, epochs):
    """A function running ``epochs`` epochs of the network's forward and backward matrix products alone.

    No activations, loss or update: its time per epoch is the GEMM floor of training.
    """
    rng = np.random.default_rng(0)
    sizes = (100, *HIDDEN, 10)
    A = [rng.standard_normal((batch_size, n)).astype(dtype) for n in sizes]
    W = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    G = [np.empty_like(w) for w in W]

    def run():
        for _ in range(epochs * (n_samples // batch_size)):
            for k, w in enumerate(W):  # forward
                np.matmul(A[k], w, out=A[k + 1])
            for k in range(len(W) - 1, -1, -1):  # backward: weight gradient, then the input gradient
                np.matmul(A[k].T, A[k + 1], out=G[k])
                if k:
                    np.matmul(A[k + 1], W[k].T, out=A[k])

    return run


def case_mlp(args):
    n, epochs = (10_000, 3) if args.quick else (50_000, 5)
    X_train, X_test, y_train, y_test = mlp_data(n)
    print(f"\n## mlp: {n} x 100 -> {HIDDEN} -> 10, adam, batch 256, {epochs} epochs")
    row("model", "s/epoch", "ratio", "accuracy", "GEMM floor")
    for dtype in (np.float64, np.float32):
        Xtr, Xte = X_train.astype(dtype), X_test.astype(dtype)
        batch, alpha = 256, 1e-4
        common = dict(batch_size=batch, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=0)
        # MLPClassifier's penalty is alpha / (2 batch_size) ||W||^2, so weight_decay = alpha / batch_size is the same J
        ours = MLPFromScratch(HIDDEN, learning_rate=1e-3, weight_decay=alpha / batch, **common)
        theirs = MLPClassifier(HIDDEN, learning_rate_init=1e-3, alpha=alpha, **common)
        watched = clone(ours).set_params(diagnostics=True)
        fits = {
            "sknotes": lambda: ours.fit(Xtr, y_train),
            "sklearn": lambda: theirs.fit(Xtr, y_train),
            "floor": gemm_epochs(n, dtype, batch, epochs),  # alternated too: all of them see the same machine
            "diagnostics": lambda: watched.fit(Xtr, y_train),
        }
        medians, fitted = alternate(fits, args.repeats)
        floor = medians["floor"] / epochs
        name = np.dtype(dtype).name
        for label, est in (("sknotes", ours), ("sklearn", theirs)):
            per_epoch = medians[label] / est.n_iter_
            ratio = medians["sklearn"] / medians[label]
            row(
                f"{label} MLP {name}",
                f"{per_epoch:.3f}",
                f"{ratio:.2f}x",
                f"{est.score(Xte, y_test):.4f}",
                f"{per_epoch / floor:.2f}x floor",
            )
        row(f"GEMM floor {name}", f"{floor:.3f}", "", "", "")
        off, on = medians["sknotes"] / ours.n_iter_, medians["diagnostics"] / watched.n_iter_
        overhead = f"{100 * (on / off - 1):+.1f}%"
        row(f"sknotes MLP {name}, diagnostics", f"{on:.3f}", "", overhead, f"{on / floor:.2f}x floor")
        he = clone(ours).set_params(init="he").fit(Xtr, y_train)
        row(f"sknotes MLP {name}, init='he'", "", "", f"{he.score(Xte, y_test):.4f}", "(untimed)")


def case_linear(args):
    n = 50_000 if args.quick else 200_000
    X, y = make_regression(n_samples=n, n_features=50, noise=10.0, random_state=0)
    print(f"\n## linear: make_regression({n} x 50) in a MinMaxScaler pipeline")
    row("model", "seconds", "ratio", "R^2 (train)", "")
    fits = {
        "LinearRegressorGD() [sgd, auto]": make_pipeline(MinMaxScaler(), LinearRegressorGD(random_state=0)),
        "SGDRegressor()": make_pipeline(MinMaxScaler(), SGDRegressor(random_state=0)),
        "LinearRegressorGD(solver='lbfgs')": make_pipeline(MinMaxScaler(), LinearRegressorGD(solver="lbfgs")),
        "LinearRegression()": make_pipeline(MinMaxScaler(), LinearRegression()),
    }
    medians, fitted = alternate({name: (lambda est=est: est.fit(X, y)) for name, est in fits.items()}, args.repeats)
    peers = {"LinearRegressorGD() [sgd, auto]": "SGDRegressor()", "LinearRegressorGD(solver='lbfgs')": "SGDRegressor()"}
    for name in fits:
        ratio = f"{medians[peers[name]] / medians[name]:.2f}x" if name in peers else ""
        row(name, f"{medians[name]:.3f}", ratio, f"{fitted[name].score(X, y):.6f}", "")
    for name in peers:
        print(f"{name} vs LinearRegression: {medians[name] / medians['LinearRegression()']:.2f}x its time")


def case_softmax(args):
    n = 20_000 if args.quick else 100_000
    X, y = make_classification(n_samples=n, n_features=50, n_informative=20, n_classes=5, random_state=0)
    lam = 1e-4
    for name, data in (("standardised", StandardScaler().fit_transform(X)), ("unscaled, X * 5 + 3", X * 5 + 3)):
        print(f"\n## softmax: make_classification({n} x 50, 5 classes), {name}, lbfgs, weight_decay={lam} = 1/(n C)")
        row("model", "seconds", "ratio", "log-loss", "iterations")
        ours = SoftmaxClassifier(solver="lbfgs", weight_decay=lam)
        theirs = LogisticRegression(C=1 / (n * lam), max_iter=1000)
        fits = {"sknotes": lambda: ours.fit(data, y), "sklearn": lambda: theirs.fit(data, y)}
        medians, fitted = alternate(fits, args.repeats)
        for label, est in (("SoftmaxClassifier", ours), ("LogisticRegression", theirs)):
            key = "sknotes" if est is ours else "sklearn"
            iters = est.n_iter_ if est is ours else int(np.max(est.n_iter_))
            ratio = medians["sklearn"] / medians[key]
            loss = log_loss(y, est.predict_proba(data))
            row(label, f"{medians[key]:.3f}", f"{ratio:.2f}x", f"{loss:.6f}", f"{iters}")


def case_predict(args):
    X_train, X_test, y_train, _ = mlp_data(5_000)
    print("\n## predict: one row, MLP 100 -> (256, 128) -> 10")
    row("model", "us/call", "ratio", "", "")
    ours = MLPFromScratch(HIDDEN, max_iter=1, random_state=0).fit(X_train, y_train)
    theirs = MLPClassifier(HIDDEN, max_iter=1, random_state=0).fit(X_train, y_train)
    one = X_test[:1]
    calls = 200 if args.quick else 2000

    def per_call(est):
        return lambda: [est.predict(one) for _ in range(calls)]

    medians, _ = alternate({"sknotes": per_call(ours), "sklearn": per_call(theirs)}, args.repeats)
    for label in ("sknotes", "sklearn"):
        row(
            f"{label} predict(X[:1])",
            f"{medians[label] / calls * 1e6:.1f}",
            f"{medians['sklearn'] / medians[label]:.2f}x",
            "",
            "",
        )


def case_memory(args):
    n = 20_000 if args.quick else 50_000
    X_train, _, y_train, _ = mlp_data(n)
    print(f"\n## memory: peak traced allocation during fit / size of X ({n} x 100)")
    row("fit", "X MB", "peak MB", "peak / X", "")
    for dtype in (np.float64, np.float32):
        X = np.ascontiguousarray(X_train, dtype=dtype)
        for label, est in (
            ("MLPFromScratch", MLPFromScratch(HIDDEN, batch_size=256, max_iter=1, random_state=0)),
            ("MLPClassifier", MLPClassifier(HIDDEN, batch_size=256, max_iter=1, random_state=0)),
            ("SoftmaxClassifier sgd", SoftmaxClassifier(max_iter=1, random_state=0)),
            ("SoftmaxClassifier lbfgs", SoftmaxClassifier(solver="lbfgs", max_iter=20)),
        ):
            tracemalloc.start()
            est.fit(X, y_train)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            name = np.dtype(dtype).name
            row(f"{label} {name}", f"{X.nbytes / 1e6:.1f}", f"{peak / 1e6:.1f}", f"{peak / X.nbytes:.2f}", "")


CASES = {
    "mlp": case_mlp,
    "linear": case_linear,
    "softmax": case_softmax,
    "predict": case_predict,
    "memory": case_memory,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", choices=[*CASES, []], help="cases to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller data, for a fast look")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs per model (default 5)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: all cores)")
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for blas in (info for info in threadpool_info() if info["user_api"] == "blas"):  # NumPy's and SciPy's
            arch, threads, where = blas.get("architecture"), blas["num_threads"], Path(blas["filepath"]).parent.name
            print(f"BLAS: {blas['internal_api']} {blas['version']} ({arch}), {threads} thread(s), {where}")
        for name in args.cases or CASES:
            CASES[name](args)


if __name__ == "__main__":
    main()
