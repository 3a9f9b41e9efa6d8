"""Linear models: networks with no hidden layer, a head and a loss."""

from ._base import NetworkClassifier, NetworkRegressor
from ._docs import fill_doc
from ._heads import HingeHead, SoftmaxHead


@fill_doc()
class LinearRegressorGD(NetworkRegressor):
    """Linear regression trained by gradient descent.

    The model of the notes, ``y = X w + b``, fitted by minimising the mean
    (squared, absolute or Huber) error plus an optional L2 penalty, with
    gradient descent, RMSProp, Adam or L-BFGS. With the squared error it
    reaches :class:`~sklearn.linear_model.Ridge` with ``alpha = n_samples *
    weight_decay`` (:class:`~sklearn.linear_model.LinearRegression` when
    ``weight_decay=0``). Several targets are fitted at once when ``y`` is 2-D.
    With ``loss='poisson'`` it is a Poisson regression of counts, ``y ~
    Poisson(exp(x w + b))`` (log link), and reaches
    :class:`~sklearn.linear_model.PoissonRegressor` with ``alpha =
    weight_decay`` (both minimise half the mean deviance plus ``alpha / 2
    ||w||^2``).

    Parameters
    ----------
    {loss_parameters}

    {parameters}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Weights ``w`` (one row per target when ``y`` is 2-D).

    intercept_ : float or ndarray of shape (n_targets,)
        Bias ``b``.

    out_activation_ : str
        'identity', or 'exp' with ``loss='poisson'`` (predictions ``exp(x w + b)``).

    {attributes}

    See Also
    --------
    sklearn.linear_model.Ridge : Closed-form solution of the same objective with squared error.
    sklearn.linear_model.SGDRegressor : Per-sample stochastic gradient descent.
    sklearn.linear_model.PoissonRegressor : The same objective with ``loss='poisson'``, by L-BFGS or Newton.
    MLPRegressorFromScratch : The same with hidden layers.

    Notes
    -----
    {objective}

    The parameters start at zero weights and the mean of ``y`` (at zero
    with ``conditioning=None``; the objective is convex, so the start does
    not change the optimum).

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
        learning_rate_schedule="constant",
        power_t=0.5,
        warmup=0,
        weight_decay=0.0,
        solver="sgd",
        conditioning="auto",
        batch_size=None,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=5,
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
        self.loss = loss
        self.delta = delta
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


@fill_doc(
    gradient=" and :math:`\\\\partial \\\\ell / \\\\partial f = \\\\mathrm{{softmax}}(f(x)) - y` for the cross-entropy"
)
class SoftmaxClassifier(NetworkClassifier):
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

    {class_weight}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coef_ : ndarray of shape (n_classes, n_features)
        Weights: row ``k`` scores class ``classes_[k]``.

    intercept_ : ndarray of shape (n_classes,)
        Biases.

    out_activation_ : str
        Always 'softmax'.

    {attributes}

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same model, fitted by second-order solvers.
    MLPFromScratch : The same with hidden layers.
    LinearSVMGD : A linear classifier on the hinge loss.

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

    _heads = {"binary": SoftmaxHead, "multiclass": SoftmaxHead}

    def __init__(
        self,
        learning_rate="auto",
        weight_decay=1e-4,
        *,
        learning_rate_schedule="constant",
        power_t=0.5,
        warmup=0,
        solver="sgd",
        conditioning="auto",
        batch_size=None,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=5,
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


@fill_doc(gradient=", which for the hinge loss is :math:`-t` where the margin :math:`t f(x)` is below 1, else 0")
class LinearSVMGD(NetworkClassifier):
    """Linear support vector machine: linear scores trained by gradient descent on the notes' hinge loss.

    Class scores ``z = x W + b`` fitted by minimising the hinge loss
    ``max(0, 1 - t z)`` (``t = +1`` for the class, ``-1`` for the others) plus
    the L2 penalty, which together make the soft-margin SVM objective. Two
    classes have one score (positive for ``classes_[1]``); three or more are
    one-vs-rest, one score per class, as :class:`~sklearn.svm.LinearSVC`
    does. The prediction is the class with the highest score; there are no
    probabilities. At ``weight_decay = 1 / (C n_samples)`` the objective is
    that of ``LinearSVC(C, loss='hinge')`` divided by ``C n_samples`` (with
    the intercept not penalised).

    Parameters
    ----------
    {parameters}

    {class_weight}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights: one row for two classes (the score of ``classes_[1]``), else
        row ``k`` scores class ``classes_[k]`` against the rest.

    intercept_ : ndarray of shape (1,) or (n_classes,)
        Biases.

    out_activation_ : str
        Always 'identity': the scores are the raw outputs.

    {attributes}

    See Also
    --------
    sklearn.svm.LinearSVC : The same model, fitted by coordinate descent (liblinear).
    sklearn.linear_model.SGDClassifier : ``loss='hinge'``, per-sample stochastic gradient descent.
    SoftmaxClassifier : A linear classifier on the cross-entropy, with probabilities.

    Notes
    -----
    {objective}

    The hinge loss has no gradient at the margin, where gradient steps stall
    above the minimum and L-BFGS stops where the rounding of the CPU leads
    it. So ``fit`` with 'lbfgs', or full-batch 'sgd' with
    ``learning_rate='auto'``, minimises smoothed hinges (within ``mu / 2`` of
    it, ``mu`` from 1 down to ``tol``, between 1e-6 and 1e-3), each from the
    last one's minimum: the objective ends within about ``tol / 2`` of the
    SVM's minimum once every stage has converged. At ``tol=1e-10`` both
    solvers reach it to 1e-5 (relative; 20,000 epochs of 'sgd' on
    standardised breast cancer, 3,000 iterations of 'lbfgs'). At the default
    ``tol``, 'lbfgs' stops within 0.01% of it, while gradient descent, whose
    late stages progress by less than ``tol`` per epoch, may stop several
    percent above it (6-9% on standardised wine and breast cancer, 0.1% on
    MinMax-scaled breast cancer), which it does not detect: use 'lbfgs', or
    a smaller ``tol``, where the exact SVM matters.
    ``partial_fit`` (one epoch) and a numeric ``learning_rate`` step on the
    hinge itself.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknotes import LinearSVMGD
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> svm = make_pipeline(MinMaxScaler(), LinearSVMGD(random_state=0)).fit(X, y)
    >>> svm.decision_function(X[:2]).shape
    (2,)
    >>> svm.score(X, y) > 0.95
    True
    """

    _heads = {"binary": HingeHead, "multiclass": HingeHead}

    def __init__(
        self,
        learning_rate="auto",
        weight_decay=1e-4,
        *,
        learning_rate_schedule="constant",
        power_t=0.5,
        warmup=0,
        solver="sgd",
        conditioning="auto",
        batch_size=None,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=5,
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
