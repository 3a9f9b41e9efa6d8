"""Prediction latency: the exported ONNX model in onnxruntime beside sknotes' and scikit-learn's ``predict``.

Run ``python benchmarks/onnx_latency.py`` (about a minute; ``--quick`` for a
noisier version, ``--threads N``, ``--repeats N``). Needs the extra ``onnx``.
For an MLP 100 -> (256, 128) -> 10 (MLPFromScratch vs MLPClassifier) and
softmax regression 100 -> 10 (SoftmaxClassifier vs LogisticRegression), it
times ``predict`` on one row and on a batch of 1000 rows, float32 throughout:
onnxruntime running the sknotes model exported by :func:`sknotes.onnx.to_onnx`,
sknotes' own ``predict`` and the scikit-learn peer's. The three alternate in
one run, ``--repeats`` times; the table gives the medians per call and the
ratios to onnxruntime (above 1 means onnxruntime is faster). BLAS and
onnxruntime use the same number of threads. Nothing here is asserted.
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import onnxruntime as ort
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from sknotes import MLPFromScratch, SoftmaxClassifier
from sknotes.onnx import to_onnx

HIDDEN = (256, 128)
BATCH = 1000


def onnx_predict(model, threads):
    """``predict`` of ``model`` exported to ONNX, run by onnxruntime with ``threads`` threads."""
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    onnx_model = to_onnx(model, np.zeros((1, model.n_features_in_), dtype=np.float32), options={"zipmap": False})
    session = ort.InferenceSession(onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return lambda X: session.run(["label"], {"X": X})[0]


def per_call_medians(predicts, X, calls, repeats):
    """Median seconds per call of each named predict function on ``X``, the functions alternating."""
    times = {name: [] for name in predicts}
    for _ in range(repeats):
        for name, predict in predicts.items():
            tic = time.perf_counter()
            for _ in range(calls):
                predict(X)
            times[name].append((time.perf_counter() - tic) / calls)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS and onnxruntime threads (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs per measurement (default 5)")
    parser.add_argument("--quick", action="store_true", help="fewer calls per run")
    args = parser.parse_args()

    X, y = make_classification(n_samples=6000, n_features=100, n_informative=60, n_classes=10, random_state=0)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    X_train, X_test, y_train = X[:5000], X[5000:], y[:5000]
    pairs = {  # one epoch / a few iterations: the latency does not depend on the weights' values
        f"MLP 100 -> {HIDDEN} -> 10": (
            MLPFromScratch(HIDDEN, max_iter=1, random_state=0),
            MLPClassifier(HIDDEN, max_iter=1, random_state=0),
        ),
        "softmax regression 100 -> 10": (
            SoftmaxClassifier(max_iter=1, random_state=0),
            LogisticRegression(max_iter=5),
        ),
    }
    columns = ("rows", "onnxruntime", "sknotes", "scikit-learn", "sknotes/ort", "sklearn/ort")
    header = f"{'model':30}" + "".join(f"{name:>13}" for name in columns)
    with threadpool_limits(limits=args.threads, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        blas = next(info for info in threadpool_info() if info["user_api"] == "blas")
        print(f"BLAS: {blas['internal_api']} {blas['version']}, {blas['num_threads']} thread(s)", end="; ")
        print(f"onnxruntime {ort.__version__}, {args.threads} thread(s)")
        print("predict time per call, microseconds (median of the runs)\n")
        print(header)
        print("-" * len(header))
        for label, (ours, theirs) in pairs.items():
            ours.fit(X_train, y_train)
            theirs.fit(X_train, y_train)
            predicts = {
                "onnxruntime": onnx_predict(ours, args.threads),
                "sknotes": ours.predict,
                "sklearn": theirs.predict,
            }
            assert np.array_equal(predicts["onnxruntime"](X_test), ours.predict(X_test))
            for rows, calls in ((1, 200 if args.quick else 2000), (BATCH, 5 if args.quick else 50)):
                medians = per_call_medians(predicts, X_test[:rows], calls, args.repeats)
                us = {name: seconds * 1e6 for name, seconds in medians.items()}
                ratios = [f"{us[name] / us['onnxruntime']:.2f}x" for name in ("sknotes", "sklearn")]
                cells = [rows, *(f"{us[name]:.1f}" for name in predicts), *ratios]
                print(f"{label:30}" + "".join(f"{cell:>13}" for cell in cells))


if __name__ == "__main__":
    main()
