"""The contract, as properties (hypothesis): over shapes, dtypes, label types, sample weights, solvers and
parameters of every public estimator (``tests/estimators.py``; the solvers from the optimizer registry).

Properties and example counts (``EXAMPLES``; derandomized, so every run draws the same examples):

- ``fit`` (then ``partial_fit``) never leaves non-finite parameters: it succeeds with finite parameters of the
  input's dtype and valid predictions, or raises the divergence ``ValueError`` and leaves the estimator as it was
  (25 examples for each of the 5 estimators: 125);
- probabilities are valid for any finite logits, however large (50, over the classifiers that have them);
- ``partial_fit`` once equals ``fit(max_iter=1)``, bit for bit (20 x 5 = 100);
- ``clone`` + ``fit``, and refitting the same object, give bit-identical parameters; a pickle round trip
  predicts identically (15 x 5 = 75);
- a fit that fails on bad data leaves a fitted estimator exactly as it was (12 x 5 = 60).

410 examples in all (with today's 5 estimators).

Run with ``--hypothesis-show-statistics`` to see how many examples ran and how many fits diverged.
"""

import pickle
import warnings

import numpy as np
import pytest
from estimators import (
    CLASSIFIERS,
    REGRESSION_LOSSES,
    SOLVERS,
    STEP_SOLVERS,
    assert_valid_outputs,
    has_probabilities,
    into_domain,
    is_mlp,
    name,
    supports_multilabel,
    target_domain,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

# examples per test function; the tests over problems() run once per estimator with these many examples each
EXAMPLES = {"finite": 25, "probabilities": 50, "partial_fit": 20, "refit": 15, "failed_fit": 12}


def examples(name):
    return settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        derandomize=True,  # seeded: the same examples on every run
        database=None,  # writes nothing into the repository
        # (the function-scoped fixture is ``Estimator``, a class: nothing of it to reset between examples)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )


LABELS = {
    "int": [0, 1, 2, 3],
    "negative int": [-7, 3, 10, 42],
    "str": ["ant", "bee", "cat", "dog"],
    "object str": np.array(["ant", "bee", "cat", "dog"], dtype=object),
    "integral float": [-1.0, 2.0, 7.0, 9.0],
    "bool": [False, True],
}


pytestmark = pytest.mark.usefixtures("single_blas_thread")


def params(est):
    arrays_ = est.coefs_ + est.intercepts_ if hasattr(est, "coefs_") else [est.coef_, est.intercept_]
    return [np.asarray(a) for a in arrays_]


def flat(est):
    return np.concatenate([np.ravel(a) for a in params(est)])


def quietly(method, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # RuntimeWarnings stay errors (pyproject)
        return method(*args, **kwargs)


def is_unfitted(est):
    try:
        check_is_fitted(est)
    except NotFittedError:
        return True
    return False


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------


@st.composite
def problems(draw, Est, solvers=SOLVERS, early_stopping=True, balanced=True):
    """An estimator of class ``Est`` (unfitted, all parameters drawn) and data (X, y, sample_weight, classes) it can
    be fitted on: a regressor's targets in the domain of the loss drawn for it (``target_domain``)."""
    solver = draw(st.sampled_from(solvers))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    classifier = Est in CLASSIFIERS
    n_features = draw(st.integers(1, 4))
    multilabel = False
    if classifier:
        label_type = draw(st.sampled_from(sorted(LABELS)))
        labels = LABELS[label_type]
        n_classes = draw(st.integers(2, len(labels)))
        multilabel = supports_multilabel(Est) and label_type == "int" and draw(st.booleans())
        n_samples = draw(st.integers(max(n_classes, 2), 30))
    else:
        n_samples = draw(st.integers(1, 30))
    scale = draw(st.sampled_from([1.0, 1.0, 1.0, 1e-3, 1e3]))
    X = draw(arrays(dtype, (n_samples, n_features), elements=st.floats(-10, 10, width=32))) * dtype(scale)

    classes = None
    if multilabel:
        n_labels = draw(st.integers(2, 3))
        y = draw(arrays(np.int64, (n_samples, n_labels), elements=st.integers(0, 1)))
        classes = np.arange(n_labels)
    elif classifier:
        index = np.array(draw(st.permutations(list(np.arange(n_samples) % n_classes))))
        y = np.asarray(labels)[index]
        classes = np.unique(y)
    else:
        n_targets = draw(st.sampled_from([None, 1, 2]))
        shape = (n_samples,) if n_targets is None else (n_samples, n_targets)
        y = draw(arrays(np.float64, shape, elements=st.floats(-100, 100)))

    use_early_stopping = early_stopping and n_samples >= 20 and solver != "lbfgs" and draw(st.booleans())
    sample_weight = None
    if draw(st.booleans()):
        low = 0.1 if use_early_stopping else 0.0  # zero weights + early stopping: see test_reliability (a bug)
        sample_weight = draw(arrays(np.float64, (n_samples,), elements=st.floats(low, 10)))
        if classifier and not multilabel:
            first_of_each_class = [np.flatnonzero(y == c)[0] for c in classes]
            sample_weight[first_of_each_class] = np.maximum(sample_weight[first_of_each_class], 1.0)
        else:
            sample_weight[0] = max(sample_weight[0], 1.0)

    batch_size = draw(st.one_of(st.none(), st.integers(1, n_samples + 3)))
    est = Est(
        solver=solver,
        learning_rate=draw(st.sampled_from([1e-3, 1e-2, 0.1, 1.0])),
        weight_decay=draw(st.sampled_from([0.0, 1e-4, 1e-2, 1.0])),
        batch_size=batch_size,
        max_iter=draw(st.integers(1, 8)),
        momentum=draw(st.sampled_from([0.0, 0.5, 0.9])),
        nesterov=draw(st.booleans()),
        shuffle=draw(st.booleans()),
        early_stopping=use_early_stopping,
        validation_fraction=0.25,
        random_state=draw(st.integers(0, 10_000)),
    )
    if is_mlp(Est):
        est.set_params(
            hidden_layer_sizes=tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=2))),
            activation=draw(st.sampled_from(["relu", "tanh", "sigmoid", "identity"])),
            dropout=0.0 if solver == "lbfgs" else draw(st.sampled_from([0.0, 0.0, 0.3])),
        )
    if classifier and not multilabel:
        weights = draw(st.lists(st.floats(0.5, 3), min_size=len(classes), max_size=len(classes)))
        choices = [None, dict(zip(classes.tolist(), weights))]
        if balanced:
            choices.append("balanced")
        est.set_params(class_weight=draw(st.sampled_from(choices)))
    if not classifier:
        est.set_params(loss=draw(st.sampled_from(REGRESSION_LOSSES)))
        est.set_params(delta=draw(st.sampled_from([0.5, 1.0, 5.0])))
        y = into_domain(y, target_domain(est))
    event(f"{name(Est)} {solver} {np.dtype(dtype).name}")
    return est, X, y, sample_weight, classes


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------


def assert_finite_model(est, X):
    for array in params(est):
        assert array.dtype == X.dtype
        assert np.isfinite(array).all()
    assert np.isfinite(est.loss_curve_).all()
    assert_valid_outputs(est, X)


@examples("finite")
@given(data=st.data())
def test_fit_never_leaves_non_finite_parameters(Estimator, data):
    est, X, y, sample_weight, _ = data.draw(problems(Estimator))
    try:
        quietly(est.fit, X, y, sample_weight=sample_weight)
    except ValueError as exc:
        event("fit diverged")
        assert "diverged" in str(exc) and "learning_rate" in str(exc), str(exc)
        assert is_unfitted(est)
        return
    event("fitted")
    assert_finite_model(est, X)
    if est.solver == "lbfgs" or getattr(est, "class_weight", None) == "balanced":
        return  # partial_fit does not exist / is refused
    est.set_params(early_stopping=False)  # partial_fit refuses it
    before = pickle.dumps(est)
    try:  # one more epoch, continuing
        est.partial_fit(X, y, sample_weight=sample_weight)
    except ValueError as exc:
        event("partial_fit diverged")
        assert "diverged" in str(exc), str(exc)
        assert pickle.dumps(est) == before
        return
    assert_finite_model(est, X)


#: The classifiers with probabilities, and the targets their output layer is tried on: a linear model on 2 to 4
#: classes; a network on two classes, several, and a label indicator matrix where it takes one.
PROBABILISTIC = [
    (Est, target)
    for Est in CLASSIFIERS
    if has_probabilities(Est)
    for target in (
        ["binary", "multiclass", "multilabel"][: 3 if supports_multilabel(Est) else 2] if is_mlp(Est) else ["classes"]
    )
]


@st.composite
def huge_logit_models(draw):
    """A fitted classifier whose output layer is replaced by arbitrary finite values, up to ~1e299 (float64) or
    ~1e37 (float32) in the logits, and inputs in [-1, 1]."""
    Est, target = draw(st.sampled_from(PROBABILISTIC))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    n_features, n_samples = draw(st.integers(1, 4)), draw(st.integers(1, 20))
    rng = np.random.RandomState(draw(st.integers(0, 10_000)))
    X_train = rng.uniform(-1, 1, size=(12, n_features)).astype(dtype)
    if not is_mlp(Est):
        est = Est(solver="lbfgs", max_iter=5)
        y_train = np.arange(12) % draw(st.integers(2, 4))
    else:
        est = Est(hidden_layer_sizes=(3,), activation="tanh", solver="lbfgs", max_iter=5, random_state=0)
        y_train = {
            "binary": np.arange(12) % 2,
            "multiclass": np.arange(12) % 3,
            "multilabel": np.stack([np.arange(12) % 2, np.arange(12) // 6], axis=1),
        }[target]
    quietly(est.fit, X_train, y_train)
    W, b = (est.coef_.T, est.intercept_) if not is_mlp(Est) else (est.coefs_[-1], est.intercepts_[-1])
    n_in = W.shape[0]  # every input of the output layer is in [-1, 1] (features, or tanh units)
    bound = float(dtype((1e299 if dtype == np.float64 else 1e37) / (n_in + 1)))
    values = st.floats(-bound, bound, width=64 if dtype == np.float64 else 32)
    W_new = draw(arrays(dtype, W.shape, elements=values))
    b_new = draw(arrays(dtype, b.shape, elements=values))
    if not is_mlp(Est):
        est.coef_, est.intercept_ = W_new.T.copy(), b_new
    else:
        est.coefs_ = [w.astype(dtype) for w in est.coefs_[:-1]] + [W_new]
        est.intercepts_ = [c.astype(dtype) for c in est.intercepts_[:-1]] + [b_new]
    X = draw(arrays(dtype, (n_samples, n_features), elements=st.floats(-1, 1, width=32)))
    event(f"{name(Est)} {target} {np.dtype(dtype).name}")
    return est, X


@examples("probabilities")
@given(huge_logit_models())
def test_probabilities_are_valid_for_any_finite_logits(model):
    est, X = model
    scores = est.decision_function(X)
    assert np.isfinite(scores).all()
    event("max |logit| > 1e30" if np.abs(scores).max() > 1e30 else "max |logit| <= 1e30")
    assert_valid_outputs(est, X)


@examples("partial_fit")
@given(data=st.data())
def test_partial_fit_once_equals_fit_with_max_iter_1(Estimator, data):
    problem = problems(Estimator, solvers=STEP_SOLVERS, early_stopping=False, balanced=False)
    est, X, y, sample_weight, classes = data.draw(problem)
    by_fit = clone(est).set_params(max_iter=1)
    by_partial_fit = clone(est)
    kwargs = {} if classes is None else {"classes": classes}
    try:
        quietly(by_fit.fit, X, y, sample_weight=sample_weight)
    except ValueError as exc:
        event("diverged")
        assert "diverged" in str(exc)
        with pytest.raises(ValueError, match="diverged"):
            by_partial_fit.partial_fit(X, y, sample_weight=sample_weight, **kwargs)
        return
    by_partial_fit.partial_fit(X, y, sample_weight=sample_weight, **kwargs)
    assert by_fit.n_iter_ == by_partial_fit.n_iter_ == 1
    for a, b in zip(params(by_fit), params(by_partial_fit)):
        assert_array_equal(a, b)
    assert by_fit.loss_curve_ == by_partial_fit.loss_curve_


@examples("refit")
@given(data=st.data())
def test_clone_and_refit_are_bit_identical_and_pickling_keeps_predictions(Estimator, data):
    est, X, y, sample_weight, _ = data.draw(problems(Estimator))
    try:
        quietly(est.fit, X, y, sample_weight=sample_weight)
    except ValueError as exc:
        event("diverged")
        assert "diverged" in str(exc)
        with pytest.raises(ValueError, match="diverged"):
            quietly(clone(est).fit, X, y, sample_weight=sample_weight)
        return
    first = flat(est)
    cloned = quietly(clone(est).fit, X, y, sample_weight=sample_weight)
    assert_array_equal(flat(cloned), first)
    quietly(est.fit, X, y, sample_weight=sample_weight)  # refit the same object (warm_start=False)
    assert_array_equal(flat(est), first)
    assert cloned.loss_curve_ == est.loss_curve_
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


@st.composite
def corruptions(draw, X, y):
    """Bad data of one kind or another, built from valid (X, y)."""
    kind = draw(st.sampled_from(["nan", "inf", "features", "length", "empty", "negative weight"]))
    X_bad, y_bad, sw_bad = np.array(X, dtype=float), y, None
    i, j = draw(st.integers(0, X.shape[0] - 1)), draw(st.integers(0, X.shape[1] - 1))
    if kind in ("nan", "inf"):
        X_bad[i, j] = np.nan if kind == "nan" else draw(st.sampled_from([np.inf, -np.inf]))
    elif kind == "features":
        X_bad = np.hstack([X_bad, X_bad[:, :1]])
    elif kind == "length":
        y_bad = y[:-1]
    elif kind == "empty":
        X_bad, y_bad = X_bad[:0], y[:0]
    else:
        sw_bad = np.ones(X.shape[0])
        sw_bad[i] = -draw(st.floats(1e-6, 10))
    event(kind)
    return kind, X_bad, y_bad, sw_bad


@examples("failed_fit")
@given(data=st.data())
def test_a_fit_that_fails_on_bad_data_leaves_the_fitted_estimator_as_it_was(Estimator, data):
    est, X, y, sample_weight, classes = data.draw(problems(Estimator, solvers=STEP_SOLVERS))
    try:
        quietly(est.fit, X, y, sample_weight=sample_weight)
    except ValueError:
        event("diverged")
        return
    before = pickle.dumps(est)
    kind, X_bad, y_bad, sw_bad = data.draw(corruptions(X, y))
    for warm_start in [False, True]:
        est.set_params(warm_start=warm_start)
        if warm_start or kind != "features":  # a fresh fit may change the number of features
            with pytest.raises(ValueError):
                est.fit(X_bad, y_bad, sample_weight=sw_bad)
        with pytest.raises(ValueError):
            est.partial_fit(X_bad, y_bad, sample_weight=sw_bad)
    est.set_params(warm_start=False)
    assert pickle.dumps(est) == before
