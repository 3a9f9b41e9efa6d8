"""Linear models: networks with no hidden layer."""

import numpy as np

from ._base import NetworkClassifier, NetworkRegressor
from ._docs import AUTO_LINEAR, fill_doc
from .nn import Network


class _LinearParams:
    """Maps the single Dense layer to ``coef_`` (n_outputs, n_features) and ``intercept_``."""

    def _build_network(self, n_features, n_outputs, coordinates=None):
        return Network((n_features, n_outputs), coordinates=coordinates)

    def _set_params_from_theta(self, network, theta):
        ((W, b),) = network.to_layers(theta)
        self.coef_, self.intercept_ = np.ascontiguousarray(W.T), b

    def _get_params(self):
        return [(np.atleast_2d(self.coef_).T, np.atleast_1d(self.intercept_))]

    def _n_outputs(self):
        return self.coef_.shape[0]


@fill_doc(
    auto=AUTO_LINEAR, weight_decay=0.0, solver="sgd", batch_size=None, n_iter_no_change=5, momentum=0.9, nesterov=True
)
class LinearRegressorGD(_LinearParams, NetworkRegressor):
    """Linear regression trained by gradient descent.

    The model of the notes, ``y = X w + b``, fitted by minimising the mean
    (squared, absolute or Huber) error plus an optional L2 penalty, with
    mini-batch gradient descent, Adam or L-BFGS. With the squared error it
    reaches :class:`~sklearn.linear_model.Ridge` with ``alpha = n_samples *
    weight_decay`` (:class:`~sklearn.linear_model.LinearRegression` when
    ``weight_decay=0``). Several targets are fitted at once when ``y`` is 2-D.

    Parameters
    ----------
    loss : {{'squared_error', 'absolute_error', 'huber'}}, default='squared_error'
        Per-sample loss of the residual ``r = f(x) - y``: ``r^2 / 2``,
        ``|r|``, or Huber's ``r^2 / 2`` for ``|r| <= delta`` and
        ``delta (|r| - delta / 2)`` beyond (robust to outliers).

    delta : float, default=1.0
        Threshold of the Huber loss, in units of ``y``.

    {parameters}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Weights ``w`` (one row per target when ``y`` is 2-D).

    intercept_ : float or ndarray of shape (n_targets,)
        Bias ``b``.

    {attributes}

    See Also
    --------
    sklearn.linear_model.Ridge : Closed-form solution of the same objective with squared error.
    sklearn.linear_model.SGDRegressor : Per-sample stochastic gradient descent.
    MLPRegressorFromScratch : The same with hidden layers.

    Notes
    -----
    {objective}

    The parameters start at zero (the objective is convex, so the start does
    not change the optimum). Gradient descent converges faster when the
    features are on one scale: put a :class:`~sklearn.preprocessing.MinMaxScaler`
    or :class:`~sklearn.preprocessing.StandardScaler` before it in a pipeline.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sknotes import LinearRegressorGD
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = LinearRegressorGD(random_state=0).fit(X, y)
    >>> reg.coef_.shape
    (5,)
    >>> round(reg.score(X, y), 3)
    1.0
    """

    def __init__(
        self,
        loss="squared_error",
        *,
        delta=1.0,
        learning_rate="auto",
        weight_decay=0.0,
        solver="sgd",
        batch_size=None,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=5,
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
        self.loss = loss
        self.delta = delta
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

    def _set_params_from_theta(self, network, theta):
        super()._set_params_from_theta(network, theta)
        if self._y_1d:
            self.coef_, self.intercept_ = self.coef_[0], self.intercept_[0]

    def _n_outputs(self):
        return 1 if self._y_1d else self.coef_.shape[0]


@fill_doc(
    auto=AUTO_LINEAR,
    relative="",
    weight_decay=1e-4,
    solver="sgd",
    batch_size=None,
    n_iter_no_change=5,
    momentum=0.9,
    nesterov=True,
    stratified=" (stratified by class)",
    score="accuracy",
    class_weights=", times the class weights",
    gradient=" and :math:`\\\\partial \\\\ell / \\\\partial f = \\\\mathrm{{softmax}}(f(x)) - y` for the cross-entropy",
)
class SoftmaxClassifier(_LinearParams, NetworkClassifier):
    """Softmax regression (multinomial logistic regression) trained by gradient descent.

    Class scores ``z = x W + b``, one per class, turned into probabilities by
    ``softmax(z)`` and fitted by minimising the cross-entropy plus an optional
    L2 penalty. It is a true softmax for any number of classes: with two
    classes there are still two score columns. It reaches multinomial
    :class:`~sklearn.linear_model.LogisticRegression` with
    ``C = 1 / (n_samples * weight_decay)``.

    Parameters
    ----------
    {parameters}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the objective, multiplied into the sample
        weights: ``{{label: weight}}``, or 'balanced' for
        ``n_samples / (n_classes * count(label))`` (``fit`` only).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coef_ : ndarray of shape (n_classes, n_features)
        Weights: row ``k`` scores class ``classes_[k]``.

    intercept_ : ndarray of shape (n_classes,)
        Biases.

    {attributes}

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same model, fitted by second-order solvers.
    MLPFromScratch : The same with hidden layers.

    Notes
    -----
    {objective}

    The loss is the cross-entropy of the softmax,
    :math:`\\ell(y, z) = -\\sum_k y_k \\log \\mathrm{{softmax}}(z)_k` with one-hot
    :math:`y`, computed as ``log_softmax`` of the scores so that it never
    overflows. The parameters start at zero (the objective is convex).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknotes import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(MinMaxScaler(), SoftmaxClassifier(random_state=0)).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        learning_rate="auto",
        weight_decay=1e-4,
        *,
        solver="sgd",
        batch_size=None,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=5,
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
