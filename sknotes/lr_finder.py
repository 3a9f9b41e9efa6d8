"""A learning-rate finder: the range test of Smith (2017), as fastai's ``lr_find``.

:func:`find_learning_rate` trains a copy of an estimator for a few steps
while the learning rate grows geometrically, records the objective along
the way, and suggests a rate: the one at which the (smoothed) objective
falls fastest. It also reports the step that ``learning_rate='auto'``
stands for on the same data, so the two can be compared.
:class:`~sknotes.plotting.LearningRateFinderDisplay` draws the result.

It uses the estimators' public API only (``clone``, ``set_params``,
``partial_fit``, ``loss_curve_``), so it works for every sknotes estimator
and every solver that takes steps, and for a :class:`~sklearn.pipeline.Pipeline`
that ends in one.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import unique_labels

from ._solvers import STEP_SOLVERS

__all__ = ["LearningRateFinderResult", "find_learning_rate"]

#: The mini-batch size when the estimator trains on full batches (``batch_size=None``).
DEFAULT_BATCH_SIZE = 200
#: The range ends once the smoothed objective exceeds this many times the lowest one seen (fastai's 4).
DIVERGENCE_FACTOR = 4.0


@dataclass(frozen=True)
class LearningRateFinderResult:
    """What :func:`find_learning_rate` found: the rates tried, the objective at each, a suggestion.

    Parameters
    ----------
    learning_rates : ndarray of shape (n_steps_run,)
        The learning rate of each step, increasing geometrically.

    losses : ndarray of shape (n_steps_run,)
        The smoothed objective after each step (exponential moving average
        of ``raw_losses`` with bias correction).

    raw_losses : ndarray of shape (n_steps_run,)
        The objective ``J`` of each step's mini-batch, as the estimator
        reports it in ``loss_curve_`` (at the parameters before the step).

    suggestion : float
        The suggested learning rate: where the smoothed objective falls
        fastest against ``log(learning_rate)``.

    auto_learning_rate : float or None
        The step that ``learning_rate='auto'`` stands for with this
        estimator, on this data and mini-batch size, or None if unknown.

    stopped : str
        Why the range ended: ``'end of range'``, ``'diverged'`` (the
        smoothed objective exceeded 4 times its lowest value) or
        ``'training diverged'`` (the estimator raised on a non-finite or
        exploding objective).

    estimator_name : str
        The class name of the estimator tested.

    Attributes
    ----------
    ratio : float or None
        ``suggestion / auto_learning_rate``.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestion: float
    auto_learning_rate: float | None
    stopped: str
    estimator_name: str

    @property
    def ratio(self):
        """``suggestion / auto_learning_rate`` (None when the 'auto' rate is unknown)."""
        return None if self.auto_learning_rate is None else self.suggestion / self.auto_learning_rate

    def __repr__(self):
        auto = "None" if self.auto_learning_rate is None else f"{self.auto_learning_rate:.3g}"
        ratio = "" if self.ratio is None else f" (suggestion / auto = {self.ratio:.3g})"
        return (
            f"{type(self).__name__}({self.estimator_name}: {len(self.learning_rates)} steps, "
            f"suggestion={self.suggestion:.3g}, auto_learning_rate={auto}{ratio}, stopped={self.stopped!r})"
        )


def find_learning_rate(
    estimator,
    X,
    y,
    *,
    min_lr=1e-6,
    max_lr=10.0,
    n_steps=100,
    batch_size=None,
    classes=None,
    sample_weight=None,
    smoothing=0.9,
    random_state=None,
):
    """Run the learning-rate range test: train briefly while the rate grows, and suggest one.

    A copy of the estimator takes ``n_steps`` steps, one mini-batch each,
    with learning rates growing geometrically from ``min_lr`` to
    ``max_lr``, and records the objective at every step (Smith, 2017). The
    rate suggested is the one at which the smoothed objective falls
    fastest: large enough to make progress, below the rates at which
    training becomes unstable.

    Parameters
    ----------
    estimator : estimator instance
        An sknotes estimator with ``solver`` 'sgd', 'rmsprop' or 'adam', or
        a :class:`~sklearn.pipeline.Pipeline` ending in one; fitted or not.
        It is not changed: the test trains a clone (with a pipeline, the
        transformers are fitted on ``X`` in a clone of the pipeline, and the
        last step's clone trains on their output).

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.

    min_lr, max_lr : float, default=1e-6, 10.0
        The first and the last learning rate of the range.

    n_steps : int, default=100
        Number of steps (learning rates) in the range.

    batch_size : int, default=None
        Rows per step. None: the estimator's ``batch_size``, or
        ``min(200, n_samples)`` if that is None (full batch).

    classes : array-like, default=None
        All the classes (classifiers); None: those of ``y``.

    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples. A classifier's ``class_weight='balanced'``
        is turned into sample weights over all of ``y``.

    smoothing : float in [0, 1), default=0.9
        The factor ``beta`` of the exponential moving average of the
        objective; 0 keeps the raw objective. (fastai's 0.98 lags about
        ``beta / (1 - beta) = 49`` steps, half of a 100-step range, and moves
        the steepest descent to rates several times too large.)

    random_state : int, RandomState instance or None, default=None
        Draws the mini-batches and, when the estimator's own
        ``random_state`` is None, its initial parameters.

    Returns
    -------
    result : LearningRateFinderResult
        The rates, the objectives (smoothed and raw), the suggestion and
        the rate that ``learning_rate='auto'`` stands for.

    Raises
    ------
    ValueError
        If the estimator's solver is 'lbfgs' (which takes no steps of a
        given size), or if the range is not ``0 < min_lr < max_lr`` with
        ``n_steps >= 2``.

    See Also
    --------
    sknotes.plotting.LearningRateFinderDisplay : Draws the result.

    Notes
    -----
    Step ``k`` (``k = 0 .. n_steps - 1``) sets the clone's
    ``learning_rate`` to ``min_lr (max_lr / min_lr)^(k / (n_steps - 1))``
    and calls ``partial_fit`` on the next mini-batch (rows drawn without
    replacement, reshuffled when all have been used), with ``batch_size=None``
    and ``early_stopping=False`` on the clone so that each call is exactly
    one step on the rows given. The objective recorded is the estimator's
    own, ``loss_curve_[-1]``: ``J`` on that mini-batch at the parameters
    before the step (weight decay included). It is smoothed as fastai does,
    ``a_k = beta a_{k-1} + (1 - beta) J_k`` and ``s_k = a_k / (1 - beta^(k+1))``.

    The range ends early when ``s_k`` exceeds 4 times the lowest ``s``
    seen, or when the estimator raises on a diverging objective. The
    suggestion is the rate at the steepest descent of ``s`` against
    ``log(learning_rate)`` (fastai's ``steep``): the slope at step ``k`` is
    the secant over steps ``k - w`` to ``k + w`` (``w = n_steps // 20``,
    against the noise of mini-batches), looked for after the first tenth of
    the steps and up to the lowest ``s`` after them. (If the objective
    never fell there, the rate at that lowest ``s`` divided by 10.)

    ``auto_learning_rate`` is the step of ``learning_rate='auto'`` for the
    same mini-batch size, read from a clone fitted for one epoch. For 'sgd'
    on a linear model it is ``1 / L``, from a bound ``L`` on the
    gradient's Lipschitz constant, and a numeric ``learning_rate`` means
    the same thing in the same coordinates: on such a convex problem the
    suggestion lies within a factor of 10 of it (the tests check it). With
    momentum ``mu``, steps add up to ``1 / (1 - mu)`` times one, and the
    suggestion comes out about ``1 - mu`` times smaller (on full batches,
    where 'auto' restarts momentum instead). For the other solvers 'auto'
    is a fixed step.

    References
    ----------
    L. N. Smith, "Cyclical learning rates for training neural networks",
    WACV 2017. https://arxiv.org/abs/1506.01186

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknotes import LinearRegressorGD
    >>> from sknotes.lr_finder import find_learning_rate
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> model = make_pipeline(StandardScaler(), LinearRegressorGD(momentum=0.0))
    >>> result = find_learning_rate(model, X, y, random_state=0)
    >>> float(result.learning_rates[0]), result.losses.shape == result.learning_rates.shape
    (1e-06, True)
    >>> bool(0.1 < result.ratio < 10)  # the suggestion and 1 / L, the step of learning_rate='auto'
    True
    """
    if not (0 < min_lr < max_lr and n_steps >= 2):
        raise ValueError(
            f"The range needs 0 < min_lr < max_lr and n_steps >= 2; got min_lr={min_lr!r}, max_lr={max_lr!r}, "
            f"n_steps={n_steps!r}."
        )
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}.")
    rng = check_random_state(random_state)
    final, X = _final_step(estimator, X, y)
    params = final.get_params()
    solver = params.get("solver")  # (not an sknotes estimator: no solver, refused here too)
    if solver not in STEP_SOLVERS:
        raise ValueError(
            f"The learning-rate finder needs a solver that takes steps of size learning_rate, one of "
            f"{list(STEP_SOLVERS)}; {type(final).__name__} has solver={solver!r}."
        )
    X, y = _indexable(X), _indexable(y)
    n_samples = X.shape[0]
    if batch_size is None:
        batch_size = params["batch_size"] or DEFAULT_BATCH_SIZE
    batch_size = min(int(batch_size), n_samples)
    settings = {"batch_size": None, "early_stopping": False, "diagnostics": False}  # one step on the rows given
    settings["learning_rate_schedule"] = "constant"  # the range test sets every step's rate itself
    if params["random_state"] is None:
        settings["random_state"] = rng.randint(np.iinfo(np.int32).max)
    fit_params = {}
    if is_classifier(final):
        fit_params["classes"] = unique_labels(y) if classes is None else classes
        if params.get("class_weight") == "balanced":  # partial_fit refuses it: the same weights, as sample weights
            balanced = compute_sample_weight("balanced", y)
            sample_weight = balanced if sample_weight is None else balanced * np.asarray(sample_weight)
            settings["class_weight"] = None
    model = clone(final).set_params(**settings)

    rates = min_lr * (max_lr / min_lr) ** np.linspace(0.0, 1.0, n_steps)
    raw, smoothed, average, best, stopped = [], [], 0.0, np.inf, "end of range"
    order, position = rng.permutation(n_samples), 0
    for rate in rates:
        if position + batch_size > n_samples:
            order, position = rng.permutation(n_samples), 0
        rows = order[position : position + batch_size]
        position += batch_size
        model.set_params(learning_rate=float(rate))
        weights = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight)[rows]}
        try:
            model.partial_fit(_rows(X, rows), _rows(y, rows), **fit_params, **weights)
        except ValueError as exc:
            if "diverged" not in str(exc):
                raise
            stopped = "training diverged"
            break
        loss = float(model.loss_curve_[-1])
        average = smoothing * average + (1.0 - smoothing) * loss
        value = average / (1.0 - smoothing ** (len(raw) + 1))
        raw.append(loss)
        smoothed.append(value)
        best = min(best, value)
        if not np.isfinite(value) or value > DIVERGENCE_FACTOR * best:
            stopped = "diverged"
            break
    if not raw:
        raise ValueError(
            f"Training diverged at the first learning rate of the range, min_lr={min_lr!r}: lower min_lr, "
            "or scale the inputs."
        )
    n_run = len(raw)
    rates, smoothed = rates[:n_run], np.asarray(smoothed)
    return LearningRateFinderResult(
        learning_rates=rates,
        losses=smoothed,
        raw_losses=np.asarray(raw),
        suggestion=_steepest(rates, smoothed, max(1, n_steps // 20)),
        auto_learning_rate=_auto_learning_rate(model, X, y, sample_weight, batch_size),
        stopped=stopped,
        estimator_name=type(final).__name__,
    )


def _final_step(estimator, X, y):
    """The estimator to test and the data it sees: a pipeline's last step, after its transformers fitted on X."""
    if hasattr(estimator, "steps"):
        transformers = clone(estimator[:-1])
        return estimator[-1], transformers.fit_transform(X, y)
    return estimator, X


def _indexable(A):
    """``A`` as something whose rows can be taken: an array, a sparse matrix or a DataFrame as they are."""
    return A if hasattr(A, "iloc") or hasattr(A, "tocsr") else np.asarray(A)


def _rows(A, rows):
    """Rows of an array, sparse matrix or DataFrame."""
    return A.iloc[rows] if hasattr(A, "iloc") else A[rows]


def _steepest(rates, losses, window):
    """The rate at which ``losses`` fall fastest against ``log(rates)``, before their minimum.

    The slope at step ``k`` is the secant ``(s[k + w] - s[k - w]) / (log r[k + w] - log r[k - w])``, over the
    steps after the first tenth (where the average has seen few values) and up to the lowest ``s`` after them.
    With too few such steps, the rate at that lowest ``s`` divided by 10.
    """
    start = len(losses) // 10
    end = start + int(np.argmin(losses[start:])) + 1
    if end - start <= 2 * window:
        return float(max(rates[end - 1] / 10, rates[0]))
    log_rates = np.log(rates)
    slopes = (losses[start + 2 * window : end] - losses[start : end - 2 * window]) / (
        log_rates[start + 2 * window : end] - log_rates[start : end - 2 * window]
    )
    return float(rates[start + window + int(np.argmin(slopes))])


def _auto_learning_rate(model, X, y, sample_weight, batch_size):
    """The step ``learning_rate='auto'`` stands for, for this data and mini-batch size (None if not found)."""
    auto = clone(model).set_params(learning_rate="auto", max_iter=1, batch_size=batch_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            auto.fit(X, y, sample_weight=sample_weight)
        except ValueError:  # 'auto' diverged on this data: no rate to report
            return None
    # private but stable: the step 'auto' resolved to, kept by the estimators for partial_fit (sknotes._base)
    state = getattr(auto, "_training_state", None)
    return getattr(state, "auto_learning_rate", None)
