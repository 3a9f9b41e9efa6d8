"""Export to ONNX (issue 14): onnxruntime's outputs equal predict and predict_proba, alone and in a pipeline."""

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from estimators import is_mlp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from sknotes import LinearSVMGD, MLPFromScratch, MLPRegressorFromScratch, SoftmaxClassifier
from sknotes.nn import HIDDEN_ACTIVATIONS
from sknotes.nn.activations import ALIASES

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
sknotes_onnx = pytest.importorskip("sknotes.onnx")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

DOCS = Path(__file__).resolve().parents[1] / "docs"
ACTIVATIONS = [*HIDDEN_ACTIVATIONS, *ALIASES]  # every activation, by every name
REGRESSOR_TARGETS = ["single", "multi-output"]
#: The target of each kind of estimator (a classifier's, a regressor's) by the number of outputs it gives the model;
#: a label indicator matrix ("multilabel") only for a multilabel classifier.
OUTPUTS = {
    "one output": lambda Est: "binary" if is_classifier(Est()) else "single",
    "several outputs": lambda Est: "multiclass" if is_classifier(Est()) else "multi-output",
}


def data(target, dtype=np.float32):
    """Tiny data: 40 rows, 5 features, targets of the given kind."""
    if target == "multilabel":
        X, y = make_multilabel_classification(n_samples=40, n_features=5, n_classes=3, random_state=0)
    elif target in REGRESSOR_TARGETS:
        X, y = make_regression(n_samples=40, n_features=5, n_targets=1 + (target == "multi-output"), random_state=0)
        y = y / y.std()
    else:
        n_classes = 2 if target == "binary" else 3
        X, y = make_classification(40, 5, n_informative=3, n_classes=n_classes, random_state=0)
    return X.astype(dtype), y


def make(estimator_class, activation="relu"):
    """An estimator with fast settings (5 epochs; two hidden layers for the MLPs)."""
    params = {"max_iter": 5, "random_state": 0}
    if is_mlp(estimator_class):
        params.update(hidden_layer_sizes=(5, 3), activation=activation, learning_rate=0.05)
    return estimator_class(**params)


def run(onnx_model, X):
    """onnxruntime's outputs on ``X``, by output name."""
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([output.name for output in session.get_outputs()], session.run(None, {"X": X})))


def export_and_run(model, X, **options):
    """Convert ``model`` with sknotes.onnx.to_onnx (no ZipMap on probabilities) and run it on ``X``."""
    if is_classifier(model) and hasattr(model, "predict_proba"):  # (LinearSVMGD has no ZipMap to turn off)
        options.setdefault("zipmap", False)
    return run(sknotes_onnx.to_onnx(model, X[:1], options=options or None), X)


def assert_same_predictions(model, X, outputs, tol=1e-5):
    """Labels equal ``predict``; probabilities and regression outputs within ``tol``."""
    if is_classifier(model):
        assert_array_equal(outputs["label"], model.predict(X))
        if hasattr(model, "predict_proba"):
            assert_allclose(outputs["probabilities"], model.predict_proba(X), rtol=0, atol=tol)
        else:  # the decision scores, under skl2onnx's name for a LinearSVC's
            scores = model.decision_function(X).reshape(X.shape[0], -1)
            assert_allclose(outputs["probabilities"], scores, rtol=tol, atol=tol)
    else:
        assert_allclose(outputs["variable"], model.predict(X).reshape(X.shape[0], -1), rtol=tol, atol=tol)


def assert_onnxruntime_equals_predict(estimator_class, activation, target, in_pipeline):
    X, y = data(target)
    model = make(estimator_class, activation)
    model = (make_pipeline(MinMaxScaler(), model) if in_pipeline else model).fit(X, y)
    outputs = export_and_run(model, X)
    assert_same_predictions(model, X, outputs)
    if target in ("multilabel", "multi-output"):
        assert next(iter(outputs.values())).shape == (X.shape[0], y.shape[1])


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["bare", "pipeline"])
@pytest.mark.parametrize("outputs", OUTPUTS)
def test_onnxruntime_equals_predict(LinearModel, outputs, in_pipeline):
    assert_onnxruntime_equals_predict(LinearModel, None, OUTPUTS[outputs](LinearModel), in_pipeline)


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["bare", "pipeline"])
@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_equals_predict_for_every_hidden_activation(MLP, activation, outputs, in_pipeline):
    assert_onnxruntime_equals_predict(MLP, activation, OUTPUTS[outputs](MLP), in_pipeline)


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["bare", "pipeline"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_equals_predict_for_a_label_indicator_matrix(MultilabelClassifier, activation, in_pipeline):
    assert_onnxruntime_equals_predict(MultilabelClassifier, activation, "multilabel", in_pipeline)


def test_hidden_activation_logistic_is_the_sigmoid():
    X, y = data("multiclass")
    model = make(MLPFromScratch, "sigmoid").fit(X, y)
    expected = model.predict_proba(X)
    model.activation = "logistic"  # scikit-learn's name for it, which sknotes may accept too
    assert_allclose(export_and_run(model, X)["probabilities"], expected, rtol=0, atol=1e-5)


def test_unknown_activation_is_refused_by_name():
    X, y = data("binary")
    model = make(MLPFromScratch).fit(X, y)
    model.activation = "gelu"
    with pytest.raises(ValueError, match="cannot export the activation 'gelu'"):
        sknotes_onnx.to_onnx(model, X[:1])


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_string_labels(Classifier, target):
    X, y = data(target)
    y = np.array(["cat", "dog", "emu"])[y]
    model = make_pipeline(MinMaxScaler(), make(Classifier)).fit(X, y)
    outputs = export_and_run(model, X)
    assert outputs["label"].dtype == object
    assert_same_predictions(model, X, outputs)


@pytest.mark.parametrize("labels", [[3, 7, 9], ["cat", "dog", "emu"]], ids=["int", "str"])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_zipmap_gives_one_dict_per_row_or_one_output_per_class(target, labels):
    X, y = data(target)
    y = np.asarray(labels)[y]
    model = make(MLPFromScratch).fit(X, y)
    proba = model.predict_proba(X)

    outputs = export_and_run(model, X, zipmap=True)
    assert set(outputs) == {"output_label", "output_probability"}
    assert_array_equal(outputs["output_label"], model.predict(X))
    assert [list(row) for row in outputs["output_probability"]] == [list(model.classes_)] * X.shape[0]
    assert_allclose([list(row.values()) for row in outputs["output_probability"]], proba, rtol=0, atol=1e-5)

    outputs = export_and_run(model, X, zipmap="columns")
    assert_allclose(np.column_stack(list(outputs.values())[1:]), proba, rtol=0, atol=1e-5)


def test_options_nocl_and_output_class_labels():
    X, y = data("multiclass")
    y = np.array(["cat", "dog", "emu"])[y]
    model = make(SoftmaxClassifier).fit(X, y)
    outputs = export_and_run(model, X, nocl=True)
    assert_array_equal(outputs["label"], np.searchsorted(model.classes_, model.predict(X)))
    outputs = export_and_run(model, X, output_class_labels=True)
    assert_array_equal(outputs["class_labels"], model.classes_)
    assert_same_predictions(model, X, outputs)


def assert_float64_input_computes_in_float64(estimator_class, target):
    X, y = data(target, dtype=np.float64)
    model = make_pipeline(MinMaxScaler(), make(estimator_class)).fit(X, y)
    outputs = export_and_run(model, X)
    assert_same_predictions(model, X, outputs, tol=1e-12)
    assert all(value.dtype in (np.float64, np.int64) for value in outputs.values())


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_float64_input_computes_in_float64(Estimator, outputs):
    assert_float64_input_computes_in_float64(Estimator, OUTPUTS[outputs](Estimator))


def test_float64_input_computes_in_float64_for_a_label_indicator_matrix(MultilabelClassifier):
    assert_float64_input_computes_in_float64(MultilabelClassifier, "multilabel")


def test_float64_classifier_needs_zipmap_off():
    X, y = data("binary", dtype=np.float64)
    model = make(SoftmaxClassifier).fit(X, y)
    with pytest.raises(ValueError, match="ZipMap.*float32 only"):
        sknotes_onnx.to_onnx(model, X[:1])
    onnx_model = sknotes_onnx.to_onnx(model, X[:1].tolist(), options={"zipmap": False})  # a list becomes float64
    assert run(onnx_model, X)["probabilities"].dtype == np.float64


def test_skl2onnx_to_onnx_converts_sknotes_models_after_import():
    X, y = data("multiclass")
    for model in (make(SoftmaxClassifier), make_pipeline(MinMaxScaler(), make(MLPFromScratch))):
        model.fit(X, y)
        outputs = run(skl2onnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
        assert_same_predictions(model, X, outputs)
    X, y = data("single")
    model = make_pipeline(MinMaxScaler(), make(MLPRegressorFromScratch)).fit(X, y)
    assert_same_predictions(model, X, run(skl2onnx.to_onnx(model, X[:1]), X))


# ---- DataFrames with string columns (issue 20): one input per column, as skl2onnx.to_onnx ----------------------


def table(numbers_dtype, n_rows=60):
    """A DataFrame with a string column ``a`` and a numeric column ``c``; a target that needs both."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.choice(["x", "y", "z"], n_rows), "c": rng.normal(size=n_rows).astype(numbers_dtype)})
    return df, ((df["a"] == "x") ^ (df["c"] > 0)).to_numpy()


def encoded(estimator):
    """The newcomer's pipeline: the string column one-hot encoded, the numeric one scaled, then ``estimator``."""
    encode = ColumnTransformer([("a", OneHotEncoder(), ["a"]), ("c", StandardScaler(), ["c"])])
    return make_pipeline(encode, estimator)


def run_table(onnx_model, df):
    """onnxruntime's outputs on the DataFrame ``df``, given as one (n_rows, 1) input per column."""
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {name: df[[name]].to_numpy() for name in df.columns}
    return dict(zip([output.name for output in session.get_outputs()], session.run(None, feeds)))


def assert_a_dataframe_with_a_string_column_equals_predict(Est, numbers_dtype):
    df, y = table(numbers_dtype)
    model = encoded(make(Est)).fit(df, y)
    onnx_model = sknotes_onnx.to_onnx(model, df.head(1))
    assert [(i.name, i.type.tensor_type.elem_type) for i in onnx_model.graph.input] == [
        ("a", onnx.TensorProto.STRING),
        ("c", onnx.TensorProto.FLOAT if numbers_dtype == np.float32 else onnx.TensorProto.INT64),
    ]
    outputs = run_table(onnx_model, df)
    if is_classifier(model) and hasattr(model, "predict_proba"):  # the default ZipMap: a {class: probability} dict
        assert_array_equal(outputs["output_label"], model.predict(df))
        probabilities = [list(row.values()) for row in outputs["output_probability"]]
        assert_allclose(probabilities, model.predict_proba(df), rtol=0, atol=1e-5)
        outputs = run_table(sknotes_onnx.to_onnx(model, df.head(1), options={"zipmap": False}), df)
    assert_same_predictions(model, df, outputs)


@pytest.mark.parametrize("numbers_dtype", [np.float32, np.int64])
def test_a_dataframe_with_a_string_column_equals_predict(Regressor, numbers_dtype):
    assert_a_dataframe_with_a_string_column_equals_predict(Regressor, numbers_dtype)


@pytest.mark.parametrize("numbers_dtype", [np.float32, np.int64])
def test_a_dataframe_with_a_string_column_equals_predict_or_predict_proba(Classifier, numbers_dtype):
    """(With the default ZipMap, as with none; LinearSVMGD, without probabilities, has no ZipMap.)"""
    assert_a_dataframe_with_a_string_column_equals_predict(Classifier, numbers_dtype)


def test_a_dataframe_converts_as_skl2onnx_converts_it():
    df, y = table(np.float32)
    model = encoded(make(MLPFromScratch)).fit(df, y)
    ours, theirs = sknotes_onnx.to_onnx(model, df.head(1)), skl2onnx.to_onnx(model, df.head(1))
    for side in ("input", "output"):  # names and types
        assert [(i.name, str(i.type)) for i in getattr(ours.graph, side)] == [
            (i.name, str(i.type)) for i in getattr(theirs.graph, side)
        ]
    assert_array_equal(run_table(ours, df)["output_label"], run_table(theirs, df)["output_label"])


def test_a_dataframe_with_a_float64_column_computes_in_float64_without_zipmap():
    df, y = table(np.float64)
    model = encoded(make(MLPFromScratch)).fit(df, y)
    with pytest.raises(ValueError, match="ZipMap.*float32 only.*cast its float64 columns to float32"):
        sknotes_onnx.to_onnx(model, df.head(1))
    outputs = run_table(sknotes_onnx.to_onnx(model, df.head(1), options={"zipmap": False}), df)
    assert outputs["probabilities"].dtype == np.float64
    assert_same_predictions(model, df, outputs, tol=1e-12)


def test_a_dataframe_of_numbers_is_one_float_matrix_x():
    pd = pytest.importorskip("pandas")
    X, y = data("multiclass")
    df = pd.DataFrame(X, columns=[f"feature {k}" for k in range(X.shape[1])])
    model = make_pipeline(MinMaxScaler(), make(MLPFromScratch)).fit(df, y)
    onnx_model = sknotes_onnx.to_onnx(model, df.head(1), options={"zipmap": False})
    assert [i.name for i in onnx_model.graph.input] == ["X"]
    assert_same_predictions(model, df, run(onnx_model, X))


# ---- the "linear_scores" kind (for LinearSVMGD), checked on scikit-learn's LinearSVC ----------


class _LinearSVCAsLinearScores(LinearSVC):
    """LinearSVC converted through sknotes' "linear_scores" kind (a subclass, so LinearSVC keeps its converter)."""


@pytest.fixture(scope="module")
def linear_scores_kind():
    sknotes_onnx._register(_LinearSVCAsLinearScores, "linear_scores")


@pytest.mark.parametrize("labels", [[3, 7, 9], ["cat", "dog", "emu"]], ids=["int", "str"])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_linear_scores_kind_equals_skl2onnx_linear_svc(linear_scores_kind, target, labels):
    X, y = data(target)
    model = _LinearSVCAsLinearScores().fit(X, np.asarray(labels)[y])
    ours = export_and_run(model, X)
    assert_array_equal(ours["label"], model.predict(X))
    assert_allclose(ours["probabilities"], model.decision_function(X).reshape(X.shape[0], -1), rtol=0, atol=1e-5)

    reference_model = LinearSVC()
    reference_model.__dict__.update(model.__dict__)
    reference = run(skl2onnx.to_onnx(reference_model, X[:1]), X)
    assert list(ours) == list(reference)  # same outputs: label, then the decision scores
    for name, value in ours.items():
        assert (value.shape, value.dtype) == (reference[name].shape, reference[name].dtype)
    assert_array_equal(ours["label"], reference["label"])
    assert_allclose(ours["probabilities"], reference["probabilities"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["bare", "pipeline"])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_linear_svm_exports_as_skl2onnx_exports_linear_svc_by_default(target, in_pipeline):
    """No ZipMap (the scores are not probabilities): the default options give a model that runs, with the outputs
    of a bare LinearSVC, also in a pipeline (where skl2onnx refuses its own LinearSVC), and zipmap changes nothing."""
    X, y = data(target)
    model = make(LinearSVMGD)
    model = (make_pipeline(MinMaxScaler(), model) if in_pipeline else model).fit(X, y)
    outputs = run(sknotes_onnx.to_onnx(model, X[:1]), X)
    reference = run(skl2onnx.to_onnx(LinearSVC().fit(X, y), X[:1]), X)
    assert list(outputs) == list(reference) == ["label", "probabilities"]
    assert outputs["probabilities"].shape == reference["probabilities"].shape
    assert_same_predictions(model, X, outputs)
    for zipmap in (True, False):
        same = run(sknotes_onnx.to_onnx(model, X[:1], options={"zipmap": zipmap}), X)
        assert list(same) == list(outputs)
        assert_array_equal(same["probabilities"], outputs["probabilities"])


# ---- without the extra ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["skl2onnx", "onnx"])
def test_import_without_the_extra_names_it(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # as if not installed
    monkeypatch.delitem(sys.modules, "sknotes.onnx")
    with pytest.raises(
        ImportError, match=r"extra \'onnx\' \(" + missing + r' is missing\).*pip install -e "\.\[onnx\]" in a clone'
    ):
        importlib.import_module("sknotes.onnx")


def test_importing_sknotes_does_not_import_skl2onnx():
    code = "import sys, sknotes; print('skl2onnx' in sys.modules, 'onnx' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"]


def test_deploying_page_examples_run():
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed, attempted = doctest.testfile(str(DOCS / "deploying.rst"), module_relative=False, optionflags=flags)
    assert attempted >= 5 and failed == 0
