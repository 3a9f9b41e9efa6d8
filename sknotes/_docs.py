"""Docstring pieces shared by the estimators, filled in by :func:`fill_doc`.

Defaults come from each estimator's constructor; option lists, the
optimizers' hyperparameters and the losses' parameters from the registries
of :mod:`sknotes.nn`, so that adding a solver, a loss or an activation never
means writing its documentation out again here.
"""

import inspect
import textwrap

from sklearn.base import ClassifierMixin

from ._solvers import SOLVERS, STEP_SOLVERS
from .nn import ACTIVATIONS, LOSSES, OPTIMIZERS
from .nn.coordinates import MAX_MIXED_FEATURES
from .nn.losses import REGRESSION_LOSSES
from .nn.optimality import FAR_FROM_OPTIMUM
from .nn.schedules import SCHEDULES
from .nn.stepsize import AUTO_STEP, AUTO_STEP_GROWTH, AUTO_STEP_LINEAR

PARAMETERS = """    learning_rate : float or 'auto', default='auto'
        Step size ``eta`` of the solvers that take steps ({step_solvers}); a
        number keeps it fixed, step after step (a grid search over it changes
        the fit). It is the step in the coordinates training works in (see
        ``conditioning``): by default the step the notes take on standardised
        features{whitened} and, for regressors, standardised targets, the
        same whatever the scale of the raw data; with ``conditioning=None``,
        the notes' step on the raw parameters. {auto}
        'lbfgs' chooses its own steps: a number given to it warns.

{schedule}

    weight_decay : float, default={weight_decay}
        L2 coefficient ``lambda`` (see Notes). The intercept is not decayed.

    solver : {{{solvers}}}, default='{solver}'
{solver_list}
        - 'lbfgs': full-batch quasi-Newton minimisation of the same objective
          with ``scipy.optimize.minimize`` (ignores ``learning_rate``,
          ``batch_size``, ``shuffle`` and ``early_stopping``); it needs a
          differentiable loss (not the hinge or the absolute error).

    conditioning : {{'auto', 'diagonal'}} or None, default='auto'
        The coordinates the parameters are stored and stepped in, an exact
        change of variables (the model, the objective and its minimum stay
        the same; see Notes). 'diagonal': features centred and scaled to
        unit variance (and, for regressors, the targets too, with the
        objective divided by its value at the mean). 'auto': the same, and
        for a linear model on dense data with at most 256 features (and no
        more than ``batch_size``), whitened: decorrelated by the features'
        covariance, so that gradient descent on the squared error sees a
        perfectly round bowl. ``None``: the raw parameters, and 'sgd' with a
        numeric ``learning_rate`` takes exactly the notes' step
        ``theta <- theta - eta grad J(theta)`` (on each mini-batch).
        ``partial_fit`` lets the coordinates follow all the rows it has seen.

    batch_size : int or None, default={batch_size}
        Rows per mini-batch; clipped to the number of samples. ``None`` is
        full-batch gradient descent: every step sees all the rows.

    max_iter : int, default={max_iter}
        Maximum number of epochs (passes over the data) per call to ``fit``;
        iterations for 'lbfgs'.

    tol : float, default={tol}
        Training stops when the objective (or, with early stopping, the
        validation score) has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` epochs (a full-batch step taken back counts
        neither way); ``tol=0`` never stops on the objective.{relative}{where}
        For 'lbfgs', the bound on the largest component of the
        gradient (as in scikit-learn's LogisticRegression), so
        ``tol=1e-10`` reaches the optimum to about 1e-8 relative.

    n_iter_no_change : int, default={n_iter_no_change}
        Epochs without improvement tolerated before stopping.

{optimizer_settings}

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (or use the
        ``X_val``, ``y_val`` given to ``fit``), score them after every epoch
        by ``scoring``, stop when that score has not improved by more than
        ``tol`` for more than ``n_iter_no_change`` epochs, and keep the
        parameters of the best epoch. Ignored by 'lbfgs'.

    scoring : str, callable or None, default='loss'
        The validation score of early stopping and of ``validation_scores_``
        and ``train_scores_`` (higher is better), as in scikit-learn's
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:

        - 'loss': minus the weighted mean loss of the rows (the objective's
          data term, without weight decay), in the loss's units.{loss_tol}
        - a scorer name (:func:`sklearn.metrics.get_scorer_names`), such as
          {scorer_examples}.
        - a callable ``scorer(estimator, X, y)``, which is given the
          estimator with the epoch's parameters as its fitted attributes,
          and the validated rows (a NumPy array or sparse matrix).
        - None: the estimator's ``score``, {score} (the score early
          stopping used before ``scoring`` existed).

        With a scorer, ``tol`` is in the scorer's units. Used only with
        ``early_stopping=True``.

    validation_fraction : float in (0, 1), default=0.1
        Share of the rows held out for early stopping (at least 2 rows).
        Classifiers stratify the split by class when every class has two rows
        or more, and split at random otherwise. Ignored when ``fit`` is given
        ``X_val`` and ``y_val``.

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
        Print the objective (and validation score) after every epoch.

    diagnostics : bool, default=False
        Record, per layer and per epoch (L-BFGS iteration), the norm of the
        gradient of ``J`` with respect to the layer's weights, the ratio of
        the epoch's change of the weights to their norm, the weights' norm,
        and the fractions of dead ReLU units (zero on every row of the
        epoch) and of saturated sigmoid or tanh units (slope below 1% of its
        largest on at least 90% of the rows), in ``diagnostics_``; all of
        the model's true weights, whatever the ``conditioning``. Off, a fit
        computes none of it; on, it trains exactly the same model, at a cost
        of a few percent of an epoch;
        :class:`~sknotes.plotting.TrainingDiagnosticsDisplay` draws them."""

#: The learning-rate schedules (the formulas: :mod:`sknotes.nn.schedules`).
SCHEDULE = """    learning_rate_schedule : {{{schedules}}}, default='{learning_rate_schedule}'
        How the step changes from epoch to epoch (scikit-learn's MLP calls
        this ``learning_rate``, a name that here is the step size itself):
        the step of epoch ``e`` (from 0) is ``eta * factor``, ``eta`` the
        ``learning_rate`` (or the step 'auto' stands for), recorded in
        ``learning_rate_curve_``. With ``t`` the training samples seen before
        the epoch, ``W`` = ``warmup`` and ``T`` = ``max_iter``:

        - 'constant': ``factor = 1``.
        - 'invscaling': ``factor = 1 / (t + 1)^power_t``, scikit-learn's
          MLP's (``t`` counts samples, so the second epoch already takes
          ``1 / (n_samples + 1)^power_t`` of the step).
        - 'adaptive': scikit-learn's: ``factor = 5^-k`` after ``k`` stalls;
          a stall (no improvement by ``tol`` for more than
          ``n_iter_no_change`` epochs) divides the step by 5 instead of
          stopping, and stops training once the step is at most 1e-6
          (``tol=0`` never stalls). ``partial_fit`` counts stalls too.
        - 'cosine': linear warm-up, ``factor = (e + 1) / W`` for ``e < W``,
          then a half cosine, ``(1 + cos(pi (e - W) / (T - W))) / 2``, from 1
          towards 0 at epoch ``T`` (where it stays: ``partial_fit`` beyond
          ``max_iter`` calls takes no steps).

        Every ``fit`` runs the schedule from its start (with
        ``warm_start`` too: a warm restart); ``partial_fit`` continues it
        where the last call left it. With 'auto' on full-batch 'sgd' of a
        linear model, a schedule other than 'constant' replaces the adapted
        step: the steps are ``1 / L`` times the factor (and kinked losses
        step on the loss itself). 'lbfgs' takes no steps: a schedule given to
        it warns.

    power_t : float >= 0, default={power_t}
        Exponent of 'invscaling'.

    warmup : int >= 0, default={warmup}
        Epochs of linear warm-up of 'cosine' (fewer than ``max_iter``)."""

#: How 'auto' sets the step of a linear model (no hidden layer).
AUTO_LINEAR = """'auto' gives 'sgd' the step
        ``1 / L`` of :func:`sknotes.nn.stepsize.lipschitz_bound`, from a bound
        on the Lipschitz constant of the objective's gradient, computed from
        the data in the coordinates training uses (so raw and scaled features
        alike): gradient descent cannot diverge with it (on mini-batches,
        times ``1 - momentum``, as momentum adds their noise up). On full
        batches the step then adapts: {growth:g} times larger after every step
        that lowers the objective, while a step that raises it is taken back
        and the next one is half as large, and momentum restarts when the
        objective rises. ``partial_fit`` does the same between calls on the
        same rows, and starts from the rows' own ``1 / L`` on other rows.
        With 'adam' and 'rmsprop', 'auto' is {auto_step_linear:g} (the weights
        are of unit scale in conditioned coordinates), or {auto_step:g} with
        ``conditioning=None``."""

#: How 'auto' sets the step of an MLP.
AUTO_MLP = """'auto' is {auto_step:g}, the step
        Adam's authors recommend (scikit-learn's ``learning_rate_init``)."""

MLP_PARAMETERS = """    hidden_layer_sizes : int or array-like of int, default={hidden_layer_sizes}
        Number of units of each hidden layer, input side first (an int: one
        hidden layer).

    activation : {{{activations}}}, default='{activation}'
        Activation of the hidden layers; 'logistic' (scikit-learn's name) is
        the sigmoid.

    init : {{'glorot', 'he'}}, default='{init}'
        Initial weights, ``U(-bound, bound)``: Glorot's
        ``bound = sqrt(f / (n_in + n_out))`` with ``f = 6`` (2 for a layer
        followed by the sigmoid), scikit-learn's scaling; or He's
        ``bound = sqrt(6 / n_in)``, designed for ReLU. Biases start at zero.
        The weights are drawn in float64 from ``random_state`` and cast, so
        float32 and float64 fits start alike; they are drawn for
        standardised inputs (training works in standardised coordinates, see
        Notes), so the fit does not depend on the scale of the features.

    dropout : float in [0, 1), default={dropout}
        Inverted dropout on the hidden layers' outputs during training: each
        unit is zeroed with this probability and the survivors are scaled by
        ``1 / (1 - dropout)``. Not applied at prediction; refused with 'lbfgs'."""

LOSS_PARAMETERS = """    loss : {{{losses}}}, default='{loss}'
        Per-sample loss, summed over the targets:

{loss_list}

{loss_settings}"""

CLASS_WEIGHT = """    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the objective, multiplied into the sample
        weights: ``{{label: weight}}``, or 'balanced' for
        ``n_samples / (n_classes * count(label))`` (``fit`` only; not for
        multilabel y)."""

#: For the regressors, tol is relative to the variance of y.
#: Where the default stop leaves a linear model, in scale-free terms.
WHERE_LINEAR = """ Where the default stop leaves a linear model, in
        units of ``tol``: for the squared error, within a few ``tol`` of the
        minimum (whitened coordinates make it a round bowl); this excess is
        computed exactly at the end of ``fit`` (for up to {max_mixed} features) and a
        stop more than {far:g} times ``tol`` above the minimum warns
        (``ConvergenceWarning``). For the cross-entropy and the hinge, whose
        curvature vanishes on well-classified rows, gradient descent slows
        down near the minimum and the default stop can be tens of ``tol``
        above it (hundreds for the hinge; measured on scikit-learn's wine,
        breast cancer and digits, raw and scaled: 0.4 to 80 times
        ``tol`` for the softmax, 14 to 830 for the hinge), with no warning.
        ``tol=1e-10`` (or ``solver='lbfgs'``) reaches the optimum to about
        1e-5 relative in the coefficients."""

RELATIVE_TOL = """ For the regressors, training minimises the
        objective divided by its value for predicting the mean of ``y``
        (times 2, which for the squared error is the variance of ``y``): the
        same minimum, with ``tol`` and ``learning_rate`` free of the units of ``y``."""

#: For the regressors, the validation loss's tol is relative, as the objective's.
LOSS_TOL = """
          An epoch improves it when it rises by more than ``tol`` times the
          regressors' unit (see ``tol``): ``tol`` does not depend on the
          units of ``y``."""

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
        The validation score (``scoring``) after every epoch when early
        stopping ran, else None (HistGradientBoosting's ``validation_score_``,
        without the score before the first epoch).

    train_scores_ : list of float or None
        The same score of the training rows (at most 10,000, evenly spaced)
        after every epoch when early stopping ran, else None
        (HistGradientBoosting's ``train_score_``); it costs one pass of
        prediction over those rows per epoch. With ``scoring='loss'`` it
        differs from ``loss_curve_``, which is the objective (weight decay
        included) averaged over the epoch's steps.

    best_validation_score_ : float or None
        Best of ``validation_scores_`` (its parameters are the ones kept), or None.

    diagnostics_ : dict of list or None
        With ``diagnostics=True``, one entry per epoch and layer in columns
        'epoch' (as in ``loss_curve_``, from 1), 'layer' (``l`` for the
        weights ``W_l``, from 1 on the input side; the units of layer ``l``
        are its outputs), 'grad_norm', 'update_ratio', 'weight_norm',
        'dead_fraction' and 'saturated_fraction' (NaN where the layer's
        activation has no such units): ``pandas.DataFrame(diagnostics_)``
        takes it as it is. ``partial_fit`` and ``warm_start`` append to it.
        None when ``diagnostics=False``.

    learning_rate_curve_ : list of float or None
        The step size of every epoch, one per entry of ``loss_curve_``:
        ``learning_rate`` (or the step 'auto' stands for) times the
        schedule's factor (see ``learning_rate_schedule``); None for 'lbfgs'."""

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

    Training takes these steps in conditioned coordinates
    (:mod:`sknotes.nn.coordinates`, parameter ``conditioning``): the first
    layer's weights are stored as :math:`V = M^{{-1}} \\mathrm{{diag}}(s) W`
    for features of mean :math:`\\mu` and spread :math:`s`, with :math:`M`
    the identity or, for the linear models by default, a whitening of the
    standardised features (and, for regressors, the outputs as if ``y``
    were standardised). The model and the objective, the penalty on the
    true :math:`W` included, stay exactly the same; only the steps see
    inputs of unit scale, as after a ``StandardScaler``, without a copy of
    ``X``. So raw and scaled features train equally well, and the fitted
    ``coef_`` are those of the raw features."""


def _summary(obj):
    """The first sentence of an object's docstring."""
    return inspect.getdoc(obj).split("\n")[0].rstrip(".")


def _item(name, obj):
    """A bullet of an option list: the option and the first sentence of its object's docstring, wrapped."""
    return textwrap.fill(f"- {name!r}: {_summary(obj)}.", 78, initial_indent=" " * 8, subsequent_indent=" " * 10)


def _interval(setting):
    """A :class:`~sknotes.nn.settings.Setting`'s type as numpydoc writes it: ``bool``, ``float in [0, 1)``..."""
    if setting.kind == "bool":
        return "bool"
    if setting.high is None:
        return "float > 0" if setting.closed in ("neither", "right") and setting.low == 0 else "float"
    left = "[" if setting.closed in ("left", "both") else "("
    right = "]" if setting.closed in ("right", "both") else ")"
    return f"float in {left}{setting.low:g}, {setting.high:g}{right}"


def _setting(name, setting, default, users):
    text = f"{setting.doc} Used by {', '.join(repr(user) for user in users)}." if users else setting.doc
    body = textwrap.fill(text, 78, initial_indent=" " * 8, subsequent_indent=" " * 8)
    return f"    {name} : {_interval(setting)}, default={default!r}\n{body}\n"


def _fields(cls, values):
    """Everything the shared pieces need for ``cls``: its defaults, wording, and the registries' lists."""
    defaults = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items() if name != "self"}
    classifier = issubclass(cls, ClassifierMixin)
    solvers = list(STEP_SOLVERS)
    optimizer_settings = []
    for name in dict.fromkeys(n for optimizer in OPTIMIZERS.values() for n in optimizer.HYPERPARAMETERS):
        users = [solver for solver in solvers if name in OPTIMIZERS[solver].HYPERPARAMETERS]
        setting = OPTIMIZERS[users[0]].HYPERPARAMETERS[name]
        optimizer_settings.append(_setting(name, setting, defaults[name], users))
    solver_list = "\n".join(_item(solver, OPTIMIZERS[solver]) for solver in solvers)
    fields = {
        **{name: value for name, value in defaults.items()},
        "solvers": ", ".join(repr(solver) for solver in SOLVERS),
        "solver_list": solver_list,
        "step_solvers": ", ".join(repr(solver) for solver in solvers),
        "optimizer_settings": "\n".join(optimizer_settings).rstrip("\n"),
        "auto": (AUTO_LINEAR if cls._linear else AUTO_MLP).format(
            growth=AUTO_STEP_GROWTH, auto_step=AUTO_STEP, auto_step_linear=AUTO_STEP_LINEAR
        ),
        "whitened": " (whitened, on few features)" if cls._linear else "",
        "where": WHERE_LINEAR.format(far=FAR_FROM_OPTIMUM, max_mixed=MAX_MIXED_FEATURES) if cls._linear else "",
        "relative": "" if classifier else RELATIVE_TOL,
        "score": "accuracy" if classifier else "R^2",
        "scorer_examples": "'accuracy', 'balanced_accuracy' or 'neg_log_loss'"
        if classifier
        else "'r2' or 'neg_mean_absolute_error'",
        "loss_tol": "" if classifier else LOSS_TOL,
        "class_weights": ", times the class weights" if classifier else "",
        "gradient": "",
        "activations": ", ".join(repr(n) for n, a in ACTIVATIONS.items() if a.hidden),
        "schedules": ", ".join(repr(name) for name in SCHEDULES),
        **values,
    }
    fields["schedule"] = SCHEDULE.format(**fields)
    if "loss" in defaults:
        losses = REGRESSION_LOSSES
        fields["losses"] = ", ".join(repr(name) for name in losses)
        fields["loss_list"] = "\n".join(_item(name, LOSSES[name].function) for name in losses)
        fields["loss_settings"] = "\n".join(
            _setting(name, setting, defaults[name], [loss])
            for loss in losses
            for name, setting in LOSSES[loss].parameters.items()
        ).rstrip("\n")
    return fields


def fill_doc(**values):
    """Class decorator: fill the shared pieces of an estimator's docstring.

    The docstring's ``{parameters}``, ``{attributes}``, ``{objective}``, and
    where it has them ``{mlp_parameters}``, ``{loss_parameters}`` and
    ``{class_weight}``, each standing indented on a line of its own, become
    the shared text with this estimator's defaults and wording. ``values``
    add or override fields (``gradient``, ``mlp_attributes``).
    """

    def decorate(cls):
        fields = _fields(cls, values)
        pieces = {
            "parameters": PARAMETERS.format(**fields),
            "attributes": ATTRIBUTES.format(**fields),
            "objective": OBJECTIVE.format(**fields),
            **({} if cls._linear else {"mlp_parameters": MLP_PARAMETERS.format(**fields)}),
            **({"class_weight": CLASS_WEIGHT.format(**fields)} if "class_weight" in fields else {}),
            **({"loss_parameters": LOSS_PARAMETERS.format(**fields)} if "losses" in fields else {}),
            **{name: value for name, value in values.items() if name.startswith("mlp_")},
        }
        # the pieces carry their own indentation
        cls.__doc__ = cls.__doc__.format(**{name: piece.lstrip() for name, piece in pieces.items()})
        return cls

    return decorate
