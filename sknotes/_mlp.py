"""Multi-layer perceptrons: the same network and training loop, with hidden layers."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import NetworkClassifier, NetworkRegressor
from ._docs import AUTO_MLP, fill_doc
from ._validation import choices
from .nn import HIDDEN_ACTIVATIONS, Network
from .nn.layers import INITIALISATIONS

#: Other names accepted for hidden activations: scikit-learn's name for the sigmoid.
ACTIVATION_ALIASES = {"logistic": "sigmoid"}

_MLP_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [choices({*HIDDEN_ACTIVATIONS, *ACTIVATION_ALIASES})],
    "init": [choices(INITIALISATIONS)],
    "dropout": [Interval(Real, 0, 1, closed="left")],
}

_MLP_PARAMETERS = """    hidden_layer_sizes : int or array-like of int, default=(100,)
        Number of units of each hidden layer, input side first (an int: one
        hidden layer).

    activation : {'relu', 'tanh', 'sigmoid', 'identity'}, default='relu'
        Activation of the hidden layers; 'logistic' (scikit-learn's name) is
        the sigmoid.

    init : {'glorot', 'he'}, default='glorot'
        Initial weights, ``U(-bound, bound)``: Glorot's
        ``bound = sqrt(f / (n_in + n_out))`` with ``f = 6`` (2 for a layer
        followed by the sigmoid), scikit-learn's scaling; or He's
        ``bound = sqrt(6 / n_in)``, designed for ReLU. Biases start at zero.
        The weights are drawn in float64 from ``random_state`` and cast, so
        float32 and float64 fits start alike; they are drawn for
        standardised inputs (training works in standardised coordinates, see
        Notes), so the fit does not depend on the scale of the features.

    dropout : float in [0, 1), default=0.0
        Inverted dropout on the hidden layers' outputs during training: each
        unit is zeroed with this probability and the survivors are scaled by
        ``1 / (1 - dropout)``. Not applied at prediction; refused with 'lbfgs'."""


class _MLPParams:
    """Maps the stack of Dense layers to ``coefs_`` / ``intercepts_`` (one array per layer)."""

    def _more_validate_params(self, incremental):
        super()._more_validate_params(incremental)
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))  # an int is one hidden layer
        if sizes.ndim > 1 or not all(isinstance(n, Integral) and n > 0 for n in sizes.tolist()):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive integers, got {self.hidden_layer_sizes!r}."
            )
        if self.dropout > 0 and self.solver == "lbfgs":
            raise ValueError(
                "dropout is not supported with solver='lbfgs' (dropout makes the objective random); "
                "set dropout=0 or solver='sgd' or 'adam'."
            )

    def _build_network(self, n_features, n_outputs, coordinates=None):
        sizes = (n_features, *np.atleast_1d(self.hidden_layer_sizes).tolist(), n_outputs)
        activation = ACTIVATION_ALIASES.get(self.activation, self.activation)
        return Network(sizes, activation, self.out_activation_, self.dropout, coordinates)

    def _init_options(self):
        return {"init": self.init}

    def _set_params_from_theta(self, network, theta):
        params = network.to_layers(theta)
        self.coefs_ = [W for W, _ in params]
        self.intercepts_ = [b for _, b in params]
        self.n_layers_ = len(params) + 1
        self.n_outputs_ = params[-1][0].shape[1]

    def _get_params(self):
        return list(zip(self.coefs_, self.intercepts_))

    def _n_outputs(self):
        return self.coefs_[-1].shape[1]


_MLP_ATTRIBUTES = """    coefs_ : list of ndarray of shape (n_in, n_out)
        Weight matrix of each layer, input side first.

    intercepts_ : list of ndarray of shape (n_out,)
        Bias vector of each layer.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Output activation: {outputs}."""


@fill_doc(
    auto=AUTO_MLP,
    relative="",
    weight_decay=1e-4,
    solver="adam",
    batch_size=200,
    momentum=0.9,
    nesterov=True,
    max_iter=200,
    stratified=" (stratified by class)",
    score="accuracy",
    class_weights=", times the class weights",
    gradient=", which for the cross-entropy is the predicted probability minus the target",
    mlp_parameters=_MLP_PARAMETERS,
    mlp_attributes=_MLP_ATTRIBUTES.format(
        outputs="'softmax' for 3+ classes, 'sigmoid' for 2 classes (one score) and for multilabel y"
    ),
)
class MLPFromScratch(_MLPParams, NetworkClassifier):
    """Multi-layer perceptron classifier built on the notes' backprop core.

    Hidden layers ``h_l = f(h_{{l-1}} W_l + b_l)`` feed an output layer whose
    scores go through a softmax (3+ classes), a single sigmoid (2 classes) or
    one sigmoid per label (a multilabel indicator ``y``), trained on the
    cross-entropy plus an optional L2 penalty by back-propagation.

    Parameters
    ----------
    {mlp_parameters}

    {parameters}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the objective, multiplied into the sample
        weights: ``{{label: weight}}``, or 'balanced' for
        ``n_samples / (n_classes * count(label))`` (``fit`` only; not for multilabel y).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``0 .. n_labels - 1`` for multilabel y).

    {mlp_attributes}

    {attributes}

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's multi-layer perceptron.
    SoftmaxClassifier : The same without hidden layers.

    Notes
    -----
    {objective}

    Here ``f`` is the whole network and ``W`` runs over the weight matrices
    of all layers; the gradient with respect to each layer's weights comes
    from the chain rule, layer by layer from the output down (back-propagation).

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sknotes import MLPFromScratch
    >>> X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    >>> clf = MLPFromScratch(hidden_layer_sizes=(16,), learning_rate=0.03, random_state=0).fit(X, y)
    >>> [W.shape for W in clf.coefs_], clf.out_activation_
    ([(2, 16), (16, 1)], 'sigmoid')
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {**NetworkClassifier._parameter_constraints, **_MLP_CONSTRAINTS}
    _binary_output = "sigmoid"
    _multilabel = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        init="glorot",
        dropout=0.0,
        learning_rate="auto",
        weight_decay=1e-4,
        solver="adam",
        batch_size=200,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        momentum=0.9,
        nesterov=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        class_weight=None,
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.solver = solver
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose


@fill_doc(
    auto=AUTO_MLP,
    weight_decay=1e-4,
    solver="adam",
    batch_size=200,
    momentum=0.9,
    nesterov=True,
    max_iter=200,
    mlp_parameters=_MLP_PARAMETERS,
    mlp_attributes=_MLP_ATTRIBUTES.format(outputs="always 'identity'"),
)
class MLPRegressorFromScratch(_MLPParams, NetworkRegressor):
    """Multi-layer perceptron regressor built on the notes' backprop core.

    Hidden layers ``h_l = f(h_{{l-1}} W_l + b_l)`` feed a linear output layer,
    one unit per target, trained on the squared, absolute or Huber error plus
    an optional L2 penalty by back-propagation.

    Parameters
    ----------
    {mlp_parameters}

    loss : {{'squared_error', 'absolute_error', 'huber'}}, default='squared_error'
        Per-sample loss of the residual ``r = f(x) - y``: ``r^2 / 2``,
        ``|r|``, or Huber's ``r^2 / 2`` for ``|r| <= delta`` and
        ``delta (|r| - delta / 2)`` beyond.

    delta : float, default=1.0
        Threshold of the Huber loss, in units of ``y``.

    {parameters}

    Attributes
    ----------
    {mlp_attributes}

    {attributes}

    See Also
    --------
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer perceptron.
    LinearRegressorGD : The same without hidden layers.

    Notes
    -----
    {objective}

    Here ``f`` is the whole network and ``W`` runs over the weight matrices
    of all layers.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sknotes import MLPRegressorFromScratch
    >>> X, y = make_friedman1(n_samples=500, random_state=0)
    >>> reg = MLPRegressorFromScratch((32,), learning_rate=0.03, max_iter=500, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> reg.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {**NetworkRegressor._parameter_constraints, **_MLP_CONSTRAINTS}

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        init="glorot",
        loss="squared_error",
        delta=1.0,
        dropout=0.0,
        learning_rate="auto",
        weight_decay=1e-4,
        solver="adam",
        batch_size=200,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        momentum=0.9,
        nesterov=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.loss = loss
        self.delta = delta
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.solver = solver
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
