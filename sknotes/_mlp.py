"""Multi-layer perceptrons: hidden layers, a head and a loss, on the same network and training loop as the rest."""

from ._base import BaseNetworkEstimator, NetworkClassifier, NetworkRegressor
from ._docs import fill_doc
from ._heads import MultilabelHead, SigmoidHead, SoftmaxHead

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
    gradient=", which for the cross-entropy is the predicted probability minus the target",
    mlp_attributes=_MLP_ATTRIBUTES.format(
        outputs="'softmax' for 3+ classes, 'sigmoid' for 2 classes (one score) and for multilabel y"
    ),
)
class MLPFromScratch(NetworkClassifier):
    """Multi-layer perceptron classifier built on the notes' backprop core.

    Hidden layers ``h_l = f(h_{{l-1}} W_l + b_l)`` feed an output layer whose
    scores go through a softmax (3+ classes), a single sigmoid (2 classes) or
    one sigmoid per label (a multilabel indicator ``y``), trained on the
    cross-entropy plus an optional L2 penalty by back-propagation.

    Parameters
    ----------
    {mlp_parameters}

    {parameters}

    {class_weight}

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

    _parameter_constraints: dict = {**NetworkClassifier._parameter_constraints, **BaseNetworkEstimator._mlp_constraints}
    _linear = False
    _heads = {"binary": SigmoidHead, "multiclass": SoftmaxHead, "multilabel-indicator": MultilabelHead}

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        init="glorot",
        dropout=0.0,
        learning_rate="auto",
        learning_rate_schedule="constant",
        power_t=0.5,
        warmup=0,
        weight_decay=1e-4,
        solver="adam",
        conditioning="auto",
        batch_size=200,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        momentum=0.9,
        nesterov=True,
        rho=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        scoring="loss",
        validation_fraction=0.1,
        shuffle=True,
        class_weight=None,
        random_state=None,
        warm_start=False,
        verbose=False,
        diagnostics=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.warmup = warmup
        self.weight_decay = weight_decay
        self.solver = solver
        self.conditioning = conditioning
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterov = nesterov
        self.rho = rho
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.diagnostics = diagnostics


@fill_doc(mlp_attributes=_MLP_ATTRIBUTES.format(outputs="'identity', or 'exp' with ``loss='poisson'``"))
class MLPRegressorFromScratch(NetworkRegressor):
    """Multi-layer perceptron regressor built on the notes' backprop core.

    Hidden layers ``h_l = f(h_{{l-1}} W_l + b_l)`` feed a linear output layer,
    one unit per target, trained on the squared, absolute or Huber error plus
    an optional L2 penalty by back-propagation. With ``loss='poisson'`` the
    outputs are log-means of counts (predictions ``exp(z)``), as in
    scikit-learn's ``MLPRegressor(loss='poisson')``.

    Parameters
    ----------
    {mlp_parameters}

    {loss_parameters}

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

    _parameter_constraints: dict = {**NetworkRegressor._parameter_constraints, **BaseNetworkEstimator._mlp_constraints}
    _linear = False

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
        learning_rate_schedule="constant",
        power_t=0.5,
        warmup=0,
        weight_decay=1e-4,
        solver="adam",
        conditioning="auto",
        batch_size=200,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        momentum=0.9,
        nesterov=True,
        rho=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        scoring="loss",
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=False,
        diagnostics=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.loss = loss
        self.delta = delta
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.warmup = warmup
        self.weight_decay = weight_decay
        self.solver = solver
        self.conditioning = conditioning
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterov = nesterov
        self.rho = rho
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.diagnostics = diagnostics
