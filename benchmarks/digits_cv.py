"""Digits, 5-fold CV in a MinMaxScaler pipeline: MLPFromScratch((64,)) beside sklearn's MLPClassifier((64,)).

Run: ``python benchmarks/digits_cv.py``. Both run in this process with BLAS
limited to the same number of threads; each model's full CV is repeated and
alternated with the other's, and the median wall time is printed with the
mean accuracy and the time ratio.
"""

import statistics
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_info, threadpool_limits

from sknotes import MLPFromScratch

REPEATS = 3


def main():
    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = MLPFromScratch((64,), learning_rate=0.003, random_state=0)
    models = {
        "sknotes MLPFromScratch((64,), learning_rate=0.003)": ours,
        "sklearn MLPClassifier((64,))": MLPClassifier((64,), random_state=0),
    }
    times, scores = {name: [] for name in models}, {}
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        blas = next(info for info in threadpool_info() if info["user_api"] == "blas")
        print(f"BLAS: {blas['internal_api']} {blas['version']}, {blas['num_threads']} thread(s)")
        for _ in range(REPEATS):
            for name, model in models.items():
                tic = time.perf_counter()
                scores[name] = cross_val_score(make_pipeline(MinMaxScaler(), model), X, y, cv=cv).mean()
                times[name].append(time.perf_counter() - tic)
    medians = {name: statistics.median(t) for name, t in times.items()}
    reference = medians["sklearn MLPClassifier((64,))"]
    for name in models:
        print(f"{name:52} accuracy {scores[name]:.4f}  time {medians[name]:6.2f} s  ({reference / medians[name]:.2f}x)")


if __name__ == "__main__":
    main()
