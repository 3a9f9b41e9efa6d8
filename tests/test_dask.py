"""Beyond one machine: parallel search on a Dask cluster and out-of-core training through partial_fit.

One ``LocalCluster`` (two worker processes, loopback only, no dashboard) serves the whole module. The searches
run under ``joblib.parallel_config(backend="dask")`` and must give exactly the results of the sequential run:
the workers run one BLAS thread each (Dask sets ``OMP_NUM_THREADS=1``), and so does this process here, so the
arithmetic is the same. Out of core, ``partial_fit`` over chunks (``dask_ml.wrappers.Incremental`` over a
chunked Dask array, or a plain loop over a memory-mapped ``.npy`` file) must score within a point of the
in-memory ``fit``, with the loop's allocations bounded by the chunk size rather than the data size.
"""

import os
import tracemalloc

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_diabetes, load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from threadpoolctl import threadpool_limits

from sknotes import LinearRegressorGD, MLPFromScratch, MLPRegressorFromScratch, SoftmaxClassifier

pytest.importorskip("distributed", reason="the Dask tests need the 'dask' extra: pip install -e '.[dask]'")

from distributed import Client, LocalCluster, get_task_stream  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """A two-process cluster on loopback for the whole module, closed at teardown."""
    with threadpool_limits(limits=1, user_api="blas"):  # as on the workers: same arithmetic, and fast
        with LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
        ) as cluster:
            # not the default client: other test modules must not find (or depend on) this cluster
            with Client(cluster, set_as_default=False) as client:
                yield client


def scoring_with_pid():
    """The estimator's own score, plus the id of the process that fitted and scored each split.

    Local functions, so that cloudpickle ships them by value (the workers cannot import this test module).
    """

    def score(est, X, y):
        return est.score(X, y)

    def pid(est, X, y):
        import os

        return os.getpid()

    return {"score": score, "pid": pid}


def assert_same_fitted_params(est, reference):
    """Bitwise the same weights, biases and loss curve."""
    names = ["coef_", "intercept_"] if hasattr(reference, "coef_") else ["coefs_", "intercepts_"]
    for name in names + ["loss_curve_"]:
        values, expected = getattr(est, name), getattr(reference, name)
        if isinstance(expected, list) and name != "loss_curve_":
            assert len(values) == len(expected), name
            for value, expected_value in zip(values, expected):
                assert_array_equal(value, expected_value, err_msg=name)
        else:
            assert_array_equal(values, expected, err_msg=name)


# ---- parallel search: the cluster gives the sequential results ----------------------------------------------


def digits():
    X, y = load_digits(return_X_y=True)
    return X[:900], y[:900]


def diabetes():
    return load_diabetes(return_X_y=True)


SEARCHES = {
    "LinearRegressorGD": (
        diabetes,
        make_pipeline(StandardScaler(), LinearRegressorGD()),
        {"linearregressorgd__weight_decay": [0.0, 1e-2], "linearregressorgd__loss": ["squared_error", "huber"]},
        KFold(3, shuffle=True, random_state=0),
    ),
    "SoftmaxClassifier": (
        digits,
        make_pipeline(MinMaxScaler(), SoftmaxClassifier(max_iter=50, random_state=0)),
        {"softmaxclassifier__learning_rate": [0.03, 0.3], "softmaxclassifier__weight_decay": [1e-4, 1e-3]},
        StratifiedKFold(3, shuffle=True, random_state=0),
    ),
    "MLPFromScratch": (
        digits,
        make_pipeline(MinMaxScaler(), MLPFromScratch((16,), learning_rate=0.01, max_iter=50, random_state=0)),
        {"mlpfromscratch__early_stopping": [False, True], "mlpfromscratch__dropout": [0.0, 0.2]},
        StratifiedKFold(3, shuffle=True, random_state=0),
    ),
    "MLPRegressorFromScratch": (
        diabetes,
        make_pipeline(
            StandardScaler(), MLPRegressorFromScratch((16,), learning_rate=0.01, max_iter=100, random_state=0)
        ),
        {
            "mlpregressorfromscratch__weight_decay": [1e-4, 1e-1],
            "mlpregressorfromscratch__activation": ["relu", "tanh"],
        },
        KFold(3, shuffle=True, random_state=0),
    ),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # max_iter is short; not the point
@pytest.mark.parametrize("name", SEARCHES)
def test_grid_search_on_the_cluster_equals_the_sequential_search(client, name):
    data, pipe, grid, cv = SEARCHES[name]
    X, y = data()
    kwargs = dict(cv=cv, scoring=scoring_with_pid(), refit="score", return_train_score=True, error_score="raise")
    sequential = GridSearchCV(pipe, grid, **kwargs).fit(X, y)
    with client.as_current(), joblib.parallel_config(backend="dask"):
        parallel = GridSearchCV(pipe, grid, n_jobs=-1, **kwargs).fit(X, y)

    # every split was fitted and scored in a worker process, the sequential search in this one
    worker_pids = set(client.run(os.getpid).values())
    n_splits = cv.get_n_splits()
    assert {pid for i in range(n_splits) for pid in parallel.cv_results_[f"split{i}_test_pid"]} <= worker_pids
    assert {pid for i in range(n_splits) for pid in sequential.cv_results_[f"split{i}_test_pid"]} == {os.getpid()}
    # and the results are exactly the sequential ones
    for key, value in sequential.cv_results_.items():
        if key.endswith("_score") and "time" not in key:
            assert_array_equal(parallel.cv_results_[key], value, err_msg=key)
    assert parallel.cv_results_["params"] == sequential.cv_results_["params"]
    assert parallel.best_params_ == sequential.best_params_
    assert len(set(np.round(sequential.cv_results_["mean_test_score"], 12))) > 1  # the grid changes the fits
    assert_same_fitted_params(parallel.best_estimator_[-1], sequential.best_estimator_[-1])


def test_cross_validate_on_the_cluster_returns_the_sequential_estimators(client):
    """Estimators fitted on the workers come back with their optimizer state (Adam moments, step count) intact."""
    X, y = digits()
    X = MinMaxScaler().fit_transform(X)
    est = MLPFromScratch((16,), learning_rate=0.01, max_iter=30, tol=0.0, n_iter_no_change=1000, random_state=0)
    kwargs = dict(
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring=scoring_with_pid(),
        return_train_score=True,
        return_estimator=True,
    )
    with pytest.warns(ConvergenceWarning, match="max_iter=30"):  # tol=0 with n_iter_no_change=1000: by design
        sequential = cross_validate(est, X, y, **kwargs)
    with client.as_current(), joblib.parallel_config(backend="dask"):
        parallel = cross_validate(est, X, y, n_jobs=-1, **kwargs)

    assert set(parallel["test_pid"]) <= set(client.run(os.getpid).values())
    assert set(sequential["test_pid"]) == {os.getpid()}
    assert_array_equal(parallel["test_score"], sequential["test_score"])
    assert_array_equal(parallel["train_score"], sequential["train_score"])
    assert sequential["test_score"].min() > 0.85
    for seq_est, par_est in zip(sequential["estimator"], parallel["estimator"]):
        assert par_est.n_iter_ == seq_est.n_iter_ == 30
        assert_same_fitted_params(par_est, seq_est)
        # continue training: the same next epoch on both sides, so the optimizer state made the round trip
        assert_same_fitted_params(par_est.partial_fit(X, y), seq_est.partial_fit(X, y))


# ---- out of core: the data on disk, in chunks ---------------------------------------------------------------

N_PASSES = 4
# Chunks of 1.7 MB: the allocations that do not grow with the chunk (NumPy's 64 KiB ufunc buffers, the moments'
# read buffer, Python objects, and whatever the module's Dask client threads allocate meanwhile, which tracemalloc
# counts too) stay well below one chunk. With 2,000-row chunks (336 kB) they were 1.3 chunks, and the cluster's
# threads once pushed a run past 2.
CHUNK = 10_000


def classification_data():
    X, y = make_classification(
        n_samples=11 * CHUNK, n_features=20, n_informative=10, n_classes=3, class_sep=1.5, random_state=0
    )
    return train_test_split(X, y, test_size=CHUNK, random_state=0)


def regression_data():
    X, y = make_regression(n_samples=11 * CHUNK, n_features=20, n_informative=10, noise=10.0, random_state=0)
    return train_test_split(X, y / y.std(), test_size=CHUNK, random_state=0)


OUT_OF_CORE = {  # mini-batches of 200 rows in each chunk; the 'auto' step comes from the first chunk
    "SoftmaxClassifier": (classification_data, SoftmaxClassifier(batch_size=200, momentum=0.0, random_state=0)),
    "LinearRegressorGD": (regression_data, LinearRegressorGD(batch_size=200, random_state=0)),
}


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory):
    """Each training set on disk twice: one .npy file per array, and a Dask "npy stack" (a directory of one .npy
    file per chunk of CHUNK rows). The tests open them lazily and never load them whole."""
    directory = tmp_path_factory.mktemp("out_of_core")
    data = {}
    for name, (make, _) in OUT_OF_CORE.items():
        X_train, X_test, y_train, y_test = make()
        for array_name, array in [("X", X_train), ("y", y_train)]:
            np.save(directory / f"{array_name}_{name}.npy", array)
            write_npy_stack(directory / f"{array_name}_{name}_stack", array)
        data[name] = {"directory": directory, "X_test": X_test, "y_test": y_test, "X": X_train, "y": y_train}
    return data


def write_npy_stack(directory, array):
    import dask.array as da

    da.to_npy_stack(directory, da.from_array(array, chunks=(CHUNK,) + array.shape[1:]))


def read_npy_stacks(data, name):
    """The training set of ``name`` as lazy Dask arrays: each block is read from its own file when computed."""
    import dask.array as da

    directory = data["directory"]
    return da.from_npy_stack(directory / f"X_{name}_stack"), da.from_npy_stack(directory / f"y_{name}_stack")


def fit_kwargs_for(est, y):
    return {"classes": np.unique(y)} if is_classifier(est) else {}


def partial_fit_over_chunks(est, X, y, n_passes, chunk, **fit_kwargs):
    for _ in range(n_passes):
        for start in range(0, X.shape[0], chunk):
            est.partial_fit(X[start : start + chunk], y[start : start + chunk], **fit_kwargs)
    return est


def traced_peak(function, *args, **kwargs):
    """``function(*args, **kwargs)`` and the peak of the Python/NumPy allocations it made, in bytes."""
    tracemalloc.start()
    try:
        result = function(*args, **kwargs)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def check_scores_like_the_in_memory_fit(out_of_core, est, data):
    """Held-out score within a point (0.01 of accuracy or R^2) of ``fit`` on the whole training set in memory."""
    with threadpool_limits(limits=1, user_api="blas"):
        in_memory = clone(est).fit(data["X"], data["y"])
    score_out_of_core = out_of_core.score(data["X_test"], data["y_test"])
    score_in_memory = in_memory.score(data["X_test"], data["y_test"])
    assert score_in_memory > (0.8 if is_classifier(est) else 0.9)
    assert abs(score_out_of_core - score_in_memory) < 0.01, (score_out_of_core, score_in_memory)


# ---- out of core: dask_ml.wrappers.Incremental over chunked Dask arrays -------------------------------------


@pytest.mark.parametrize("name", OUT_OF_CORE)
def test_incremental_on_the_cluster_reads_the_chunks_and_scores_like_fit(client, on_disk, name):
    pytest.importorskip("dask_ml", reason="out-of-core training through Incremental needs dask-ml (the 'dask' extra)")
    from dask.utils import key_split
    from dask_ml.wrappers import Incremental

    _, est = OUT_OF_CORE[name]
    data = on_disk[name]
    X_dask, y_dask = read_npy_stacks(data, name)
    assert X_dask.numblocks[0] == 10
    fit_kwargs = fit_kwargs_for(est, data["y"])

    inc = Incremental(est, shuffle_blocks=False)
    with client.as_current(), get_task_stream(client) as stream:
        for _ in range(N_PASSES):  # Incremental.partial_fit: one pass over the blocks, continuing the model
            inc.partial_fit(X_dask, y_dask, **fit_kwargs)
    # dask_ml names its partial_fit tasks ("fit-<token>", block): one per block and pass ran on the workers
    assert len([task for task in stream.data if key_split(task["key"]) == "fit"]) >= N_PASSES * X_dask.numblocks[0]
    assert inc.estimator_.n_iter_ == N_PASSES * X_dask.numblocks[0]

    # the same partial_fit loop in this process over the same chunks in memory gives the same model
    local = partial_fit_over_chunks(clone(est), data["X"], data["y"], N_PASSES, CHUNK, **fit_kwargs)
    assert_same_fitted_params(inc.estimator_, local)
    assert_array_equal(inc.predict(data["X_test"]), local.predict(data["X_test"]))
    check_scores_like_the_in_memory_fit(inc, est, data)


@pytest.mark.parametrize("name", OUT_OF_CORE)
def test_incremental_from_disk_holds_one_chunk_at_a_time(on_disk, name):
    """On the synchronous scheduler (in this process, to measure it), Incremental reads and drops one block at a
    time: the allocations peak at about one chunk of the data, a tenth of it here."""
    pytest.importorskip("dask_ml", reason="out-of-core training through Incremental needs dask-ml (the 'dask' extra)")
    import dask
    from dask_ml.wrappers import Incremental

    _, est = OUT_OF_CORE[name]
    data = on_disk[name]
    fit_kwargs = fit_kwargs_for(est, data["y"])
    data_bytes = data["X"].nbytes + data["y"].nbytes
    chunk_bytes = data_bytes * CHUNK // data["X"].shape[0]

    def train(n_passes):
        X_dask, y_dask = read_npy_stacks(data, name)
        inc = Incremental(clone(est), shuffle_blocks=False)
        for _ in range(n_passes):
            inc.partial_fit(X_dask, y_dask, **fit_kwargs)
        return inc

    with dask.config.set(scheduler="synchronous"), threadpool_limits(limits=1, user_api="blas"):
        train(1)  # warm up (imports, caches)
        inc, peak = traced_peak(train, N_PASSES)

    assert data_bytes >= 10 * chunk_bytes
    assert peak < 2 * chunk_bytes, (peak, chunk_bytes)
    assert inc.estimator_.n_iter_ == N_PASSES * 10
    check_scores_like_the_in_memory_fit(inc, est, data)


def test_incremental_refuses_the_lbfgs_solver_up_front(on_disk):
    pytest.importorskip("dask_ml", reason="needs dask-ml (the 'dask' extra)")
    from dask_ml.wrappers import Incremental

    X_dask, y_dask = read_npy_stacks(on_disk["LinearRegressorGD"], "LinearRegressorGD")
    lbfgs = LinearRegressorGD(solver="lbfgs")
    assert not hasattr(lbfgs, "partial_fit")  # 'lbfgs' minimises the full batch
    with pytest.raises(ValueError, match="partial_fit"):  # so Incremental refuses it before any work is done
        Incremental(lbfgs).fit(X_dask, y_dask)
    assert hasattr(LinearRegressorGD(), "partial_fit")


# ---- out of core: a plain partial_fit loop over a memory-mapped file ----------------------------------------


@pytest.mark.parametrize("name", OUT_OF_CORE)
def test_memmap_partial_fit_loop_holds_one_chunk_at_a_time(on_disk, name):
    _, est = OUT_OF_CORE[name]
    data = on_disk[name]
    X_map = np.load(data["directory"] / f"X_{name}.npy", mmap_mode="r")
    y_map = np.load(data["directory"] / f"y_{name}.npy", mmap_mode="r")
    assert isinstance(X_map, np.memmap) and not X_map.flags.writeable
    fit_kwargs = fit_kwargs_for(est, data["y"])
    data_bytes = X_map.nbytes + y_map.nbytes
    chunk_bytes = data_bytes * CHUNK // X_map.shape[0]

    with threadpool_limits(limits=1, user_api="blas"):
        partial_fit_over_chunks(clone(est), X_map, y_map, 1, CHUNK, **fit_kwargs)  # warm up (imports, caches)
        out_of_core, peak = traced_peak(
            partial_fit_over_chunks, clone(est), X_map, y_map, N_PASSES, CHUNK, **fit_kwargs
        )

    assert data_bytes >= 10 * chunk_bytes
    assert peak < 2 * chunk_bytes, (peak, chunk_bytes)  # slices of a memory map are views: no chunk is copied whole
    assert out_of_core.n_iter_ == N_PASSES * 10
    # reading the chunks from disk changes nothing: the same model as the loop over the arrays in memory
    assert_same_fitted_params(
        out_of_core, partial_fit_over_chunks(clone(est), data["X"], data["y"], N_PASSES, CHUNK, **fit_kwargs)
    )
    check_scores_like_the_in_memory_fit(out_of_core, est, data)
