"""Docstring pieces shared by the estimators, filled in by :func:`fill_doc`."""

PARAMETERS = """    learning_rate : float or 'auto', default='auto'
        Step size ``eta`` of the 'sgd' and 'adam' solvers; a number keeps
        it fixed (a grid search over it changes the fit). {auto}
        'lbfgs' chooses its own steps: a number given to it warns.

    weight_decay : float, default={weight_decay}
        L2 coefficient ``lambda`` (see Notes). The intercept is not decayed.

    solver : {{'sgd', 'adam', 'lbfgs'}}, default='{solver}'
        'sgd': mini-batch gradient descent, optionally with ``momentum`` and
        ``nesterov``; 'adam': Adam; 'lbfgs': full-batch quasi-Newton
        minimisation of the same objective with ``scipy.optimize.minimize``
        (ignores ``learning_rate``, ``batch_size``, ``shuffle`` and
        ``early_stopping``).

    batch_size : int or None, default={batch_size}
        Rows per mini-batch; clipped to the number of samples. ``None`` is
        full-batch gradient descent: every step sees all the rows.

    max_iter : int, default={max_iter}
        Maximum number of epochs (passes over the data) per call to ``fit``;
        iterations for 'lbfgs'.

    tol : float, default={tol}
        Training stops when the objective (or, with early stopping, the
        validation score) has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` epochs.{relative} With 'sgd' and a fixed step, a
        stall in which the objective stays above its best on average
        (mini-batch noise, or the kink of the absolute error) first divides
        the step by 5, up to three times. For 'lbfgs', the bound on the largest component of the
        gradient (as in scikit-learn's LogisticRegression), so
        ``tol=1e-10`` reaches the optimum to about 1e-8 relative.

    n_iter_no_change : int, default={n_iter_no_change}
        Epochs without improvement tolerated before stopping.

    momentum : float in [0, 1), default={momentum}
        Momentum of the 'sgd' solver.

    nesterov : bool, default={nesterov}
        Use Nesterov momentum with 'sgd'.

    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
        Decay rates of Adam's moment estimates.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows{stratified},
        stop when the validation score ({score}) stops improving, and keep the
        parameters of the best epoch.

    validation_fraction : float in (0, 1), default=0.1
        Share of the rows held out for early stopping (at least 2 rows).
        Classifiers stratify the split by class when every class has two rows
        or more, and split at random otherwise.

    shuffle : bool, default=True
        Shuffle the rows at every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split. Pass
        an int for reproducible results.

    warm_start : bool, default=False
        If True, ``fit`` continues from the current parameters instead of
        starting afresh (``max_iter`` counts per call; classifiers need the
        same classes as before).

    verbose : bool, default=False
        Print the objective (and validation score) after every epoch."""

#: How 'auto' sets the step of a linear model (no hidden layer).
AUTO_LINEAR = """'auto' gives 'sgd' the step
        ``1 / L`` of :func:`sknotes.nn.stepsize.lipschitz_bound`, from a bound
        on the Lipschitz constant of the objective's gradient, computed from
        the data in the standardised coordinates training uses (so raw and
        scaled features alike): gradient descent cannot diverge with it. On
        full batches the step then adapts: 1.1 times larger after every step
        that lowers the objective, while a step that raises it is taken back
        and the next one is half as large.
        With 'adam', 'auto' is 0.001."""

#: How 'auto' sets the step of an MLP.
AUTO_MLP = """'auto' is 0.001, the step
        Adam's authors recommend (scikit-learn's ``learning_rate_init``)."""

#: For the regressors, tol is relative to the variance of y.
RELATIVE_TOL = """ For the regressors, training minimises the
        objective divided by its value for predicting the mean of ``y``
        (times 2, which for the squared error is the variance of ``y``): the
        same minimum, with ``tol`` and ``learning_rate`` free of the units of ``y``."""

ATTRIBUTES = """    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.

    n_iter_ : int
        Epochs (L-BFGS iterations) run by the last call to ``fit`` (also
        with ``warm_start``, as scikit-learn's MLP); each ``partial_fit``
        call adds one.

    loss_curve_ : list of float
        The objective ``J`` at every epoch: the weighted mean of that epoch's
        mini-batch objectives, L2 term included (for 'lbfgs', ``J`` at every
        iteration).

    best_loss_ : float
        Smallest value in ``loss_curve_`` since the last call to ``fit``.

    validation_scores_ : list of float or None
        Validation score after every epoch when early stopping ran, else None.

    best_validation_score_ : float or None
        Best of ``validation_scores_`` (its parameters are the ones kept), or None."""

OBJECTIVE = """    Every solver minimises the same objective over the weights ``W`` and
    intercepts ``b``,

    .. math::

        J(W, b) = \\frac{{\\sum_i s_i\\, \\ell(y_i, f(x_i))}}{{\\sum_i s_i}}
                  + \\frac{{\\lambda}}{{2}} \\lVert W \\rVert_F^2,
        \\qquad f(x) = x W + b,

    with sample weights :math:`s_i` (1 by default{class_weights}) and
    :math:`\\lambda` = ``weight_decay``. Its gradient is
    :math:`\\nabla_W J = X^\\top G + \\lambda W`, :math:`\\nabla_b J = \\sum_i G_i`,
    where row :math:`G_i = s_i\\, \\partial \\ell / \\partial f(x_i) / \\sum_j s_j`{gradient}.
    A gradient step is :math:`W \\leftarrow (1 - \\eta\\lambda) W - \\eta X^\\top G`:
    weight decay shrinks the weights before each step.

    Training takes these steps in standardised coordinates
    (:mod:`sknotes.nn.coordinates`): the first layer's weights are stored as
    :math:`V = \\mathrm{{diag}}(s) W` for features of mean :math:`\\mu` and
    spread :math:`s` (and, for regressors, the outputs as if ``y`` were
    standardised). The model and the objective, the penalty on the true
    :math:`W` included, stay exactly the same; only the steps see inputs
    of unit scale, as after a ``StandardScaler``, without a copy of ``X``.
    So raw and scaled features train equally well, and the fitted
    ``coef_`` are those of the raw features."""


def fill_doc(**values):
    """Class decorator: fill the docstring's ``{parameters}``, ``{attributes}``, ``{objective}`` (and ``{mlp_*}``).

    ``values`` fill the defaults and wording in those shared pieces (the
    same names and meanings everywhere, each estimator's own defaults).
    """

    def decorate(cls):
        defaults = {"max_iter": 1000, "tol": 1e-4, "n_iter_no_change": 10, "class_weights": "", "gradient": ""}
        defaults["stratified"], defaults["score"] = "", "R^2"
        defaults["relative"] = RELATIVE_TOL
        fields = {**defaults, **values}
        pieces = {
            "parameters": PARAMETERS.format(**fields),
            "attributes": ATTRIBUTES.format(**fields),
            "objective": OBJECTIVE.format(**fields),
            **{name: value for name, value in values.items() if name.startswith("mlp_")},
        }
        # each placeholder stands indented on a line of its own; the pieces carry their own indentation
        cls.__doc__ = cls.__doc__.format(**{name: piece.lstrip() for name, piece in pieces.items()})
        return cls

    return decorate
