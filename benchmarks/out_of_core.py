"""Out-of-core training: peak memory of partial_fit over chunks from disk vs the in-memory fit.

Run: ``python benchmarks/out_of_core.py [--n-samples 2000000] [--chunk 100000] [--passes 3]``.

A synthetic 5-class problem (float32 features) is written to ``.npy`` files in a temporary
directory, chunk by chunk, so this process never holds it. Each variant then trains
``SoftmaxClassifier`` for the same number of epochs (passes over the data) in a fresh
subprocess, so that every peak is its own:

- ``in-memory``: ``np.load`` the whole file, then ``fit`` (``max_iter=passes``).
- ``memmap``: ``np.load(..., mmap_mode="r")`` and ``partial_fit`` on consecutive row slices.
- ``read-chunks``: each chunk copied into a fresh array from a short-lived memory map of the file
  (unmapped right after the copy), then ``partial_fit``.
- ``dask-incremental``: ``dask_ml.wrappers.Incremental`` over Dask arrays whose blocks are read from
  the files when computed (``da.from_delayed`` per chunk; synchronous scheduler, so in the measuring
  process; needs the ``dask`` extra).
- ``dask-from_array``: the same over ``da.from_array(np.load(..., mmap_mode="r"))``. A pitfall:
  ``from_array`` copies array-likes (``x.copy()`` in dask 2026.8), so the whole data set is loaded.

For each it prints the peak of the Python/NumPy allocations during training (``tracemalloc``),
the peak anonymous and file-backed resident memory above the baseline after imports (sampled
from ``/proc/self/status`` every few milliseconds; Linux only), the peak RSS of the process
(``resource.getrusage(...).ru_maxrss``), the wall time (with tracemalloc on, so slower than
usual) and the accuracy on a held-out test set.

A memory-mapped file's pages count in the RSS once they are read (``RssFile``): that is page
cache the kernel can drop at any time, not memory the process allocated. So ``memmap`` shows a
bounded heap but an RSS that grows towards the file size on a machine with free RAM, while
``read-chunks`` bounds both.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

N_FEATURES, N_CLASSES, N_TEST = 50, 5, 20_000
VARIANTS = ["in-memory", "memmap", "read-chunks", "dask-incremental", "dask-from_array"]
MB = 2**20


# ---- the data ------------------------------------------------------------------------------------------------


def make_chunk(rng, W, n_rows):
    """Rows of a softmax-regression problem: x ~ N(0, 1), y ~ softmax(x W) (sampled with Gumbel noise)."""
    X = rng.standard_normal((n_rows, N_FEATURES)).astype(np.float32)
    y = np.argmax(X @ W + rng.gumbel(size=(n_rows, N_CLASSES)), axis=1).astype(np.int32)
    return X, y


def write_data(directory, n_samples, chunk):
    """X.npy, y.npy (training set, written chunk by chunk) and test.npz in ``directory``."""
    rng = np.random.RandomState(0)
    W = rng.standard_normal((N_FEATURES, N_CLASSES)) * 0.5
    X_file = np.lib.format.open_memmap(directory / "X.npy", mode="w+", dtype=np.float32, shape=(n_samples, N_FEATURES))
    y_file = np.lib.format.open_memmap(directory / "y.npy", mode="w+", dtype=np.int32, shape=(n_samples,))
    for start in range(0, n_samples, chunk):
        X_file[start : start + chunk], y_file[start : start + chunk] = make_chunk(rng, W, min(chunk, n_samples - start))
        X_file.flush(), y_file.flush()
    del X_file, y_file
    X_test, y_test = make_chunk(rng, W, N_TEST)
    np.savez(directory / "test.npz", X=X_test, y=y_test)


# ---- one variant, in its own process -------------------------------------------------------------------------


class ResidentSampler(threading.Thread):
    """Peaks of RssAnon and RssFile (/proc/self/status), sampled every few milliseconds."""

    def __init__(self, interval=0.002):
        super().__init__(daemon=True)
        self.interval, self.stopped = interval, threading.Event()
        self.peak = self.baseline = self.read()

    @staticmethod
    def read():
        fields = {}
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    name, _, value = line.partition(":")
                    if name in ("RssAnon", "RssFile"):
                        fields[name] = int(value.split()[0]) * 1024
        except OSError:  # not Linux
            pass
        return fields

    def run(self):
        while not self.stopped.wait(self.interval):
            self.peak = {name: max(value, self.read().get(name, 0)) for name, value in self.peak.items()}

    def stop(self):
        self.stopped.set()
        self.join()
        return {name: value - self.baseline[name] for name, value in self.peak.items()}


def read_rows(path, start, stop):
    """Rows ``start:stop`` of a .npy file, read into memory (the file stays mapped only during the copy)."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def dask_array_from_npy(path, chunk):
    """A Dask array over a .npy file, one block per ``chunk`` rows, each read from the file when computed."""
    import dask
    import dask.array as da

    header = np.load(path, mmap_mode="r")
    shape, dtype = header.shape, header.dtype
    del header
    blocks = [
        da.from_delayed(
            dask.delayed(read_rows)(path, start, min(start + chunk, shape[0])),
            shape=(min(start + chunk, shape[0]) - start,) + shape[1:],
            dtype=dtype,
        )
        for start in range(0, shape[0], chunk)
    ]
    return da.concatenate(blocks)


def train(variant, directory, chunk, passes, estimator):
    classes = np.arange(N_CLASSES)
    if variant == "in-memory":
        X, y = np.load(directory / "X.npy"), np.load(directory / "y.npy")
        return estimator.set_params(max_iter=passes).fit(X, y)
    if variant == "memmap":
        X, y = np.load(directory / "X.npy", mmap_mode="r"), np.load(directory / "y.npy", mmap_mode="r")
        for _ in range(passes):
            for start in range(0, X.shape[0], chunk):
                estimator.partial_fit(X[start : start + chunk], y[start : start + chunk], classes=classes)
        return estimator
    if variant == "read-chunks":
        n_samples = np.load(directory / "y.npy", mmap_mode="r").shape[0]
        for _ in range(passes):
            for start in range(0, n_samples, chunk):
                X_chunk = read_rows(directory / "X.npy", start, start + chunk)
                y_chunk = read_rows(directory / "y.npy", start, start + chunk)
                estimator.partial_fit(X_chunk, y_chunk, classes=classes)
                del X_chunk, y_chunk  # free this chunk before the next one is read, not after
        return estimator
    if variant in ("dask-incremental", "dask-from_array"):
        import dask
        from dask_ml.wrappers import Incremental

        if variant == "dask-incremental":
            X, y = dask_array_from_npy(directory / "X.npy", chunk), dask_array_from_npy(directory / "y.npy", chunk)
        else:
            import dask.array as da

            X = da.from_array(np.load(directory / "X.npy", mmap_mode="r"), chunks=(chunk, N_FEATURES))
            y = da.from_array(np.load(directory / "y.npy", mmap_mode="r"), chunks=chunk)
        incremental = Incremental(estimator, shuffle_blocks=False)
        with dask.config.set(scheduler="synchronous"):
            for _ in range(passes):
                incremental.partial_fit(X, y, classes=classes)
        return incremental.estimator_
    raise ValueError(f"unknown variant {variant!r}")


def run_variant(variant, directory, chunk, passes):
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    from sknotes import SoftmaxClassifier

    if variant.startswith("dask"):
        import dask_ml.wrappers  # noqa: F401  (imported before the baseline, like the others' imports)
    estimator = SoftmaxClassifier(learning_rate=0.05, random_state=0)
    test = np.load(directory / "test.npz")
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # in-memory: max_iter=passes, by design
        sampler = ResidentSampler()
        sampler.start()
        tracemalloc.start()
        tic = time.perf_counter()
        fitted = train(variant, directory, chunk, passes, estimator)
        seconds = time.perf_counter() - tic
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        resident = sampler.stop()
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {
        "variant": variant,
        "n_iter": fitted.n_iter_,
        "traced_peak": traced_peak,
        "anon_peak": resident.get("RssAnon"),
        "file_peak": resident.get("RssFile"),
        "baseline_rss": sum(sampler.baseline.values()),
        "ru_maxrss": ru_maxrss,
        "seconds": seconds,
        "accuracy": fitted.score(test["X"], test["y"]),
    }


# ---- the driver ----------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2_000_000)
    parser.add_argument("--chunk", type=int, default=100_000, help="rows per chunk")
    parser.add_argument("--passes", type=int, default=3, help="epochs over the data, in every variant")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # internal: run one variant in this process
    parser.add_argument("--directory", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)  # internal: write the data
    args = parser.parse_args()
    if args.write:
        write_data(Path(args.directory), args.n_samples, args.chunk)
        return
    if args.variant:
        print(json.dumps(run_variant(args.variant, Path(args.directory), args.chunk, args.passes)))
        return

    row_bytes = N_FEATURES * np.dtype(np.float32).itemsize + np.dtype(np.int32).itemsize
    n_chunks = -(-args.n_samples // args.chunk)
    print(
        f"data: {args.n_samples:,} rows x {N_FEATURES} float32 features + int32 labels = "
        f"{args.n_samples * row_bytes / MB:.0f} MiB; chunk: {args.chunk:,} rows = {args.chunk * row_bytes / MB:.1f} "
        f"MiB ({n_chunks} chunks); {args.passes} epochs; SoftmaxClassifier, {N_CLASSES} classes"
    )
    with tempfile.TemporaryDirectory(prefix="sknotes-out-of-core-") as directory:
        # in a subprocess too: a child's ru_maxrss starts from its parent's peak, so the parent must stay small
        common = ["--directory", directory, "--chunk", str(args.chunk), "--n-samples", str(args.n_samples)]
        subprocess.run([sys.executable, __file__, "--write"] + common, check=True)
        print(
            f"{'variant':18} {'traced peak':>12} {'anon peak':>10} {'file peak':>10} {'ru_maxrss':>10} "
            f"{'baseline':>9} {'time':>8} {'accuracy':>9}   (MiB; peaks above the baseline RSS after imports)"
        )
        for variant in args.variants:
            command = [sys.executable, __file__, "--variant", variant, "--passes", str(args.passes)] + common
            completed = subprocess.run(command, capture_output=True, text=True)
            if completed.returncode != 0:
                print(f"{variant:18} failed: {completed.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(completed.stdout.strip().splitlines()[-1])
            print(
                f"{variant:18} {r['traced_peak'] / MB:12.1f} {(r['anon_peak'] or 0) / MB:10.1f} "
                f"{(r['file_peak'] or 0) / MB:10.1f} {r['ru_maxrss'] / MB:10.1f} {r['baseline_rss'] / MB:9.1f} "
                f"{r['seconds']:7.1f}s {r['accuracy']:9.4f}"
            )


if __name__ == "__main__":
    main()
