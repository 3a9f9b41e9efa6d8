"""Export to ONNX through skl2onnx (the optional extra ``onnx``).

Importing this module registers a converter for every sknotes estimator with
`skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so that :func:`to_onnx` (and
``skl2onnx.to_onnx`` itself) converts an estimator alone or inside a
scikit-learn :class:`~sklearn.pipeline.Pipeline`. The graphs are built from
the public fitted attributes only (``coef_``/``intercept_`` or
``coefs_``/``intercepts_``, ``activation``, ``out_activation_``,
``classes_``): the network's forward pass is one ``Gemm`` per layer with the
hidden activation between layers, computed in the input's float type.

Outputs follow scikit-learn's converted models:

* regressors: ``variable``, shape (n_samples, n_outputs), also for one target;
* classifiers: ``output_label`` and ``output_probability``, a list of
  ``{class: probability}`` dicts, or with the option ``zipmap=False``
  ``label`` and ``probabilities`` (n_samples, n_classes). A multilabel
  model's label is the 0/1 indicator matrix and its probabilities are the
  per-label sigmoids;
* classifiers without probabilities (:class:`~sknotes.LinearSVMGD`): the
  decision scores in place of the probabilities (one column for two
  classes), under the same names and options, as skl2onnx's
  :class:`~sklearn.svm.LinearSVC`.

:doc:`/deploying` shows the whole path, from export to predictions in
onnxruntime, and what is not exported.
"""

import numpy as np
from sklearn.base import is_classifier

try:
    import onnx  # noqa: F401  (skl2onnx needs it; named here so that its absence gives the message below)
    import skl2onnx
    from skl2onnx import update_registered_converter
    from skl2onnx._parse import _parse_sklearn_simple_model
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType, StringTensorType
    from skl2onnx.common.utils import check_input_and_output_numbers
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto
except ImportError as exc:
    raise ImportError(
        f"sknotes.onnx needs the optional extra 'onnx' ({exc.name} is missing): "
        'install it with pip install -e ".[onnx]" in a clone of sknotes, or pip install "<sknotes wheel>[onnx]".'
    ) from exc

from ._linear import LinearRegressorGD, LinearSVMGD, SoftmaxClassifier
from ._mlp import MLPFromScratch, MLPRegressorFromScratch

__all__ = ["to_onnx"]

#: ONNX operator of each activation name (hidden ``activation`` and ``out_activation_``).
_ACTIVATION_OPS = {
    "identity": "Identity",
    "relu": "Relu",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "logistic": "Sigmoid",  # scikit-learn's name for the sigmoid
    "softmax": "Softmax",  # over the last axis, the classes, at every opset
    "exp": "Exp",  # the Poisson loss's outputs are log-means
}

#: ONNX element type and NumPy dtype of the computation for each float tensor type.
_FLOAT_TYPES = {
    FloatTensorType: (onnx_proto.TensorProto.FLOAT, np.float32),
    DoubleTensorType: (onnx_proto.TensorProto.DOUBLE, np.float64),
}


# ---- reading the fitted model (public attributes only) ----------------------------------------


def _layers(model):
    """The fitted network as ``[(W, b), ...]``, ``W`` of shape (n_in, n_out), and the hidden activation."""
    if hasattr(model, "coefs_"):
        return list(zip(model.coefs_, model.intercepts_)), model.activation
    return [(np.atleast_2d(model.coef_).T, np.atleast_1d(model.intercept_))], "identity"


def _n_outputs(model):
    """Number of network outputs (scores) of the fitted model."""
    layers, _ = _layers(model)
    last_weights, _ = layers[-1]
    return last_weights.shape[1]


def _activation_op(name):
    """The ONNX operator of the activation ``name``."""
    if name not in _ACTIVATION_OPS:
        raise ValueError(f"sknotes.onnx cannot export the activation {name!r}; it knows {sorted(_ACTIVATION_OPS)}.")
    return _ACTIVATION_OPS[name]


def _is_multilabel(model):
    """A sigmoid output with one unit per label (the 2-class sigmoid has a single unit)."""
    return getattr(model, "out_activation_", None) == "sigmoid" and _n_outputs(model) > 1


def _onnx_classes(scope, model):
    """``classes_`` (indices with the option ``nocl``) as ONNX labels: int64 for numbers (as skl2onnx), else str."""
    classes = np.asarray(get_label_classes(scope, model))
    if classes.dtype.kind not in "biuf":
        return classes.astype(str)
    labels = classes.astype(np.int64)
    if not np.array_equal(labels, classes):
        raise ValueError(f"ONNX class labels must be integers or strings; got {classes.tolist()}.")
    return labels


def _float_type(operator):
    """The tensor type of the scores: double for double input, float otherwise (as skl2onnx's converters)."""
    return DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType) else FloatTensorType


# ---- shape calculators ------------------------------------------------------------------------


def _regressor_shapes(operator):
    """Output ``variable``: (n_samples, n_outputs), in the input's float type."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].set_type(_float_type(operator)([n_rows, _n_outputs(operator.raw_operator)]))


def _label_and_score_shapes(operator, n_columns):
    """Outputs ``label``, (n_samples,) or (n_samples, n_labels) when multilabel, and (n_samples, n_columns) floats."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    classes = _onnx_classes(operator.scope_inst, model)
    label_type = Int64TensorType if classes.dtype == np.int64 else StringTensorType
    operator.outputs[0].set_type(label_type([n_rows, classes.shape[0]] if _is_multilabel(model) else [n_rows]))
    operator.outputs[1].set_type(_float_type(operator)([n_rows, n_columns]))


def _classifier_shapes(operator):
    """Outputs ``label`` and ``probabilities``, one column per class (or label)."""
    _label_and_score_shapes(operator, len(operator.raw_operator.classes_))


def _linear_scores_shapes(operator):
    """Outputs ``label`` and the decision scores: one column per class, a single one for two classes."""
    _label_and_score_shapes(operator, _n_outputs(operator.raw_operator))


# ---- converters -------------------------------------------------------------------------------


def _node(scope, container, op_type, inputs, output=None, **attributes):
    """Add one ONNX node; return the name of its output (a new unique name unless ``output`` is given)."""
    output = output or scope.get_unique_variable_name(op_type.lower())
    container.add_node(op_type, inputs, output, name=scope.get_unique_operator_name(op_type), **attributes)
    return output


def _constant(scope, container, value, proto_type):
    """Add an initializer holding the ndarray ``value`` as ``proto_type``; return its name."""
    name = scope.get_unique_variable_name("constant")
    content = [s.encode("utf-8") for s in value.ravel()] if proto_type == onnx_proto.TensorProto.STRING else value
    container.add_initializer(name, proto_type, list(value.shape), content)
    return name


def _float_constant(scope, operator, container, value):
    """Add an initializer holding ``value`` in the float type of the computation; return its name."""
    proto_type, dtype = _FLOAT_TYPES[_float_type(operator)]
    return _constant(scope, container, np.asarray(value, dtype=dtype), proto_type)


def _network_scores(scope, operator, container, output=None):
    """The network's raw outputs ``Z`` (n_samples, n_outputs): a Gemm per layer, the hidden activation between."""
    float_type = _float_type(operator)
    A = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, float_type):
        A = _node(scope, container, "Cast", [A], to=_FLOAT_TYPES[float_type][0])
    layers, activation = _layers(operator.raw_operator)
    for k, (W, b) in enumerate(layers):
        if k:
            A = _node(scope, container, _activation_op(activation), [A])
        weights, biases = (_float_constant(scope, operator, container, value) for value in (W, b))
        A = _node(scope, container, "Gemm", [A, weights, biases], output if k == len(layers) - 1 else None)
    return A


def _scores_and_class_scores(scope, operator, container):
    """Raw scores ``Z`` and one score column per class: a single 2-class score ``z`` becomes ``[-z, z]``,
    whose argmax is ``z > 0`` and whose sigmoids are ``[1 - sigmoid(z), sigmoid(z)]``."""
    Z = _network_scores(scope, operator, container)
    if _n_outputs(operator.raw_operator) > 1:
        return Z, Z
    return Z, _node(scope, container, "Concat", [_node(scope, container, "Neg", [Z]), Z], axis=1)


def _labels(scope, operator, container, class_scores):
    """The ``label`` output: ``classes[argmax(class_scores)]`` (the first of equal maxima, as NumPy's argmax)."""
    classes = _onnx_classes(scope, operator.raw_operator)
    proto_type = onnx_proto.TensorProto.INT64 if classes.dtype == np.int64 else onnx_proto.TensorProto.STRING
    index = _node(scope, container, "ArgMax", [class_scores], axis=1, keepdims=0)
    labels = _constant(scope, container, classes, proto_type)
    _node(scope, container, "Gather", [labels, index], operator.outputs[0].full_name, axis=0)


def _convert_regressor(scope, operator, container):
    """skl2onnx converter of a regressor: the network's outputs through ``out_activation_`` (identity, or exp for
    the Poisson loss), shape (n_samples, n_outputs)."""
    activation, output = operator.raw_operator.out_activation_, operator.outputs[0].full_name
    if activation == "identity":
        _network_scores(scope, operator, container, output=output)
    else:
        _node(scope, container, _activation_op(activation), [_network_scores(scope, operator, container)], output)


def _convert_classifier(scope, operator, container):
    """skl2onnx converter of a classifier with probabilities (``out_activation_`` 'softmax' or 'sigmoid').

    ``label`` is the class of the highest score, or the 0/1 indicator of a positive score per label
    (multilabel); ``probabilities`` the softmax of the scores or the sigmoid of each score: the
    estimator's ``predict`` and ``predict_proba``.
    """
    model = operator.raw_operator
    Z, class_scores = _scores_and_class_scores(scope, operator, container)
    if _is_multilabel(model):
        positive = _node(scope, container, "Greater", [Z, _float_constant(scope, operator, container, 0)])
        _node(scope, container, "Cast", [positive], operator.outputs[0].full_name, to=onnx_proto.TensorProto.INT64)
    else:
        _labels(scope, operator, container, class_scores)
    probabilities = operator.outputs[1].full_name
    _node(scope, container, _activation_op(model.out_activation_), [class_scores], probabilities)


def _convert_linear_scores(scope, operator, container):
    """skl2onnx converter of a linear classifier without probabilities, in skl2onnx's LinearSVC format.

    ``label`` is the class of the highest score (for two classes, ``classes_[1]`` where the single score
    is positive), the second output the decision scores (a single column for two classes).
    """
    Z, class_scores = _scores_and_class_scores(scope, operator, container)
    _labels(scope, operator, container, class_scores)
    _node(scope, container, "Identity", [Z], operator.outputs[1].full_name)


# ---- registration -----------------------------------------------------------------------------


def _parse_plain(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parser of a model with no ZipMap (its LinearSVC's), with the signature a registered parser has."""
    return _parse_sklearn_simple_model(scope, model, inputs, custom_parsers=custom_parsers)


_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [True, False], "output_class_labels": [False, True]}

#: What each kind of estimator registers: (shape calculator, converter, options, parser). The options of the
#: "classifier" kind are those of skl2onnx's own MLPClassifier; with 'zipmap' among them skl2onnx
#: parses the model as a classifier (ZipMap on the probabilities unless ``zipmap=False``). The
#: "linear_scores" kind gives decision scores where the others give probabilities, under the same names, with
#: no ZipMap, as skl2onnx's LinearSVC does: its parser is skl2onnx's plain one, and it accepts the option
#: 'zipmap' without effect, because skl2onnx gives that option to every classifier in a pipeline (and then
#: refuses its own LinearSVC there).
_KINDS = {
    "regressor": (_regressor_shapes, _convert_regressor, None, None),
    "classifier": (_classifier_shapes, _convert_classifier, _CLASSIFIER_OPTIONS, None),
    "linear_scores": (
        _linear_scores_shapes,
        _convert_linear_scores,
        {"nocl": [True, False], "zipmap": [True, False]},
        _parse_plain,
    ),
}

#: The kind (a key of ``_KINDS``) of every sknotes estimator: supporting a new estimator is one entry.
_ESTIMATOR_KINDS = {
    LinearRegressorGD: "regressor",
    MLPRegressorFromScratch: "regressor",
    SoftmaxClassifier: "classifier",
    MLPFromScratch: "classifier",
    LinearSVMGD: "linear_scores",
}


def _register(estimator_class, kind):
    """Register ``estimator_class`` with skl2onnx as an estimator of ``kind`` (a key of ``_KINDS``)."""
    shape_calculator, converter, options, parser = _KINDS[kind]
    alias = f"Sknotes{estimator_class.__name__}"
    update_registered_converter(estimator_class, alias, shape_calculator, converter, options=options, parser=parser)


for _estimator_class, _kind in _ESTIMATOR_KINDS.items():
    _register(_estimator_class, _kind)


# ---- the entry point --------------------------------------------------------------------------


def to_onnx(model, X_sample, *, options=None, target_opset=None):
    """Convert a fitted sknotes estimator, or a pipeline containing one, to an ONNX model.

    The model takes one input, ``X``, a float matrix of shape (n_samples,
    n_features) of the dtype of ``X_sample`` (float32 or float64) -- or,
    for a DataFrame with string or categorical columns, one input per
    column, as ``skl2onnx.to_onnx`` gives it -- and gives the outputs of
    scikit-learn's converted models:

    * a regressor gives ``variable``, shape (n_samples, n_outputs), also for
      a 1-D target;
    * a classifier gives ``output_label`` (``predict``) and
      ``output_probability``, a list with one ``{class: probability}``
      dict per row. With ``options={"zipmap": False}`` they are ``label``
      and ``probabilities``, an array of shape (n_samples, n_classes)
      (``predict_proba``). For multilabel y, ``label`` is the 0/1
      indicator matrix.

    Labels equal ``predict``; probabilities and predictions equal
    ``predict_proba`` and ``predict`` to the rounding of the dtype. Only
    the fitted parameters are exported: not the training state
    (optimizer, ``loss_curve_``, ...), so the ONNX model cannot be trained
    further.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted sknotes estimator, or a scikit-learn pipeline (or other
        model skl2onnx converts) containing one.

    X_sample : array-like or DataFrame of shape (n_samples, n_features)
        Rows like the ones to predict; only their columns and dtypes are
        used. float32 and float64 are kept, other numbers become float64
        (as the estimators do). A DataFrame with a column that is not
        numbers (strings, categories: a pipeline whose
        :class:`~sklearn.compose.ColumnTransformer` encodes them) gives the
        model one input per column, a matrix of shape (n_samples, 1) named
        after the column and typed as it is (string, int64, float or
        double), as skl2onnx does; ``InferenceSession.get_inputs()`` lists
        them. ONNX's ZipMap takes float32 only, so a classifier with float64
        input (or a float64 column) needs ``options={"zipmap": False}``.

    options : dict, default=None
        skl2onnx's conversion options, e.g. ``{"zipmap": False}`` for the
        probabilities as an array (see ``skl2onnx.to_onnx``).

    target_opset : int or dict, default=None
        ONNX opset to target; by default the newest one skl2onnx supports.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; ``onnx_model.SerializeToString()`` gives the bytes to
        save or to give to ``onnxruntime.InferenceSession``.

    See Also
    --------
    skl2onnx.to_onnx : The converter called here; after ``import sknotes.onnx`` it converts sknotes estimators too.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknotes import MLPFromScratch
    >>> from sknotes.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> model = make_pipeline(MinMaxScaler(), MLPFromScratch((16,), learning_rate=0.03, random_state=0)).fit(X, y)
    >>> onnx_model = to_onnx(model, X[:1], options={"zipmap": False})
    >>> session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    >>> [output.name for output in session.get_outputs()]
    ['label', 'probabilities']
    >>> labels, probabilities = session.run(None, {"X": X})
    >>> bool((labels == model.predict(X)).all())
    True
    >>> bool(np.allclose(probabilities, model.predict_proba(X), atol=1e-5))
    True
    """
    X_sample = _sample(X_sample)
    zipmap = is_classifier(model) and hasattr(model, "predict_proba")  # (LinearSVMGD's scores get no ZipMap)
    if any(dtype == np.float64 for dtype in _dtypes(X_sample)) and zipmap and options is None:
        cast = "cast its float64 columns to float32" if hasattr(X_sample, "columns") else "pass a float32 X_sample"
        raise ValueError(
            "ONNX's ZipMap, which gives a classifier's probabilities as dicts by default, takes float32 only: "
            f'with float64 input pass options={{"zipmap": False}}, or {cast}.'
        )
    return skl2onnx.to_onnx(model, X_sample[:1], options=options, target_opset=target_opset)


def _is_table(X):
    """Whether ``X`` is a DataFrame (pandas, or any table with ``columns`` and ``dtypes``, as skl2onnx tells)."""
    return hasattr(X, "columns") and hasattr(X, "dtypes")


def _sample(X_sample):
    """What skl2onnx is given: a DataFrame with a column that is not a number as it is (an input per column),
    anything else as a float32 or float64 array (one input ``X``)."""
    if _is_table(X_sample) and not all(dtype.kind in "biuf" for dtype in _dtypes(X_sample)):
        return X_sample
    X_sample = np.asarray(X_sample)
    return X_sample if X_sample.dtype in (np.float32, np.float64) else X_sample.astype(np.float64)


def _dtypes(X):
    """The dtype of each column of a DataFrame, or the array's dtype."""
    return list(X.dtypes) if _is_table(X) else [X.dtype]
