"""Plots of training, in the style of scikit-learn's Display objects.

:class:`LossCurveDisplay` draws the objective ``J`` epoch by epoch
(``loss_curve_``) and, when early stopping ran, the validation score beside
it (``validation_scores_``). :class:`LearningRateFinderDisplay` draws the
learning-rate range test of :func:`sknotes.lr_finder.find_learning_rate`.
:class:`TrainingDiagnosticsDisplay` draws the per-layer diagnostics of a fit
with ``diagnostics=True`` (``diagnostics_``). For decision boundaries, validation curves and
learning curves use scikit-learn's own displays,
:class:`~sklearn.inspection.DecisionBoundaryDisplay`,
:class:`~sklearn.model_selection.ValidationCurveDisplay` and
:class:`~sklearn.model_selection.LearningCurveDisplay`: every sknotes
estimator works with them.

matplotlib is an optional dependency (``pip install sknotes[plot]``). It is
imported only when something is drawn, so ``import sknotes.plotting`` works
without it.
"""

import numpy as np
from sklearn.base import is_classifier

from .lr_finder import find_learning_rate

__all__ = ["LearningRateFinderDisplay", "LossCurveDisplay", "TrainingDiagnosticsDisplay"]


def _import_pyplot(what):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in the test extras
        raise ImportError(f"{what} requires matplotlib: pip install 'sknotes[plot]' (or matplotlib).") from exc
    return plt


def _final_estimator(estimator):
    """The estimator that was trained: the best one of a search, the last step of a pipeline."""
    while True:
        if hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        else:
            return estimator


def _validation_label(model):
    """What an estimator's ``validation_scores_`` are, from its ``scoring`` ('loss', a scorer's name, ...)."""
    scoring = getattr(model, "scoring", None)
    if scoring == "loss":
        return "validation score: minus the loss"
    if isinstance(scoring, str):
        return f"validation {scoring}"
    if scoring is None:
        return "validation " + ("accuracy" if is_classifier(model) else "R^2")
    return "validation score"


class LossCurveDisplay:
    """The training objective per epoch, with the validation score when early stopping ran.

    Create it with :meth:`from_estimator` from a fitted estimator, or directly
    from the numbers and then call :meth:`plot`. The training curve is
    ``loss_curve_``: the objective ``J`` (mean loss plus the weight-decay
    term) averaged over each epoch's mini-batches. The validation curve is
    ``validation_scores_`` (the estimator's ``scoring`` on the validation
    rows: minus the loss by default, or a scorer's value; higher is better),
    drawn on a second y-axis at the right, with a marker at the best epoch,
    whose parameters early stopping kept.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The objective at every epoch.

    validation_scores : array-like of shape (n_epochs,), default=None
        The validation score at every epoch, or None.

    estimator_name : str, default=None
        Name used in the legend; none if None.

    validation_label : str, default='validation score'
        Label of the validation curve and of its axis (:meth:`from_estimator`
        names the estimator's ``scoring`` there).

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training-objective curve.

    validation_line_ : matplotlib Line2D or None
        The validation-score curve, or None without validation scores. It
        belongs to ``ax_`` (so that the legend's 'best' spot avoids it) and
        is drawn on the scale of ``validation_ax_``.

    ax_ : matplotlib Axes
        The axes of the training curve.

    validation_ax_ : matplotlib Axes or None
        The twin axes (right-hand y-axis) of the validation curve, or None.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    sklearn.model_selection.ValidationCurveDisplay : Scores against one hyperparameter.
    sklearn.model_selection.LearningCurveDisplay : Scores against the training-set size.
    sklearn.inspection.DecisionBoundaryDisplay : Decision regions of a classifier.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknotes import SoftmaxClassifier
    >>> from sknotes.plotting import LossCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(early_stopping=True, random_state=0).fit(X / 8, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
    ('epoch', 'training objective J')
    >>> len(display.line_.get_ydata()) == clf.n_iter_
    True
    >>> display.validation_ax_.get_ylabel()  # the default scoring='loss'
    'validation score: minus the loss'
    """

    def __init__(self, *, loss_curve, validation_scores=None, estimator_name=None, validation_label="validation score"):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name
        self.validation_label = validation_label

    def plot(self, ax=None, *, name=None, log_scale=False, line_kw=None, validation_line_kw=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure (with constrained layout) and axes
            if None. In a figure of your own, ``layout="constrained"`` keeps
            the right-hand axis of the validation score inside the figure.

        name : str, default=None
            Name for the legend; ``estimator_name`` if None.

        log_scale : bool, default=False
            Draw the objective on a logarithmic y-axis.

        line_kw : dict, default=None
            Keyword arguments for the training curve's ``plot`` call.

        validation_line_kw : dict, default=None
            Keyword arguments for the validation curve's ``plot`` call.

        Returns
        -------
        display : LossCurveDisplay
            This object, with ``ax_``, ``figure_``, ``line_`` and the
            validation attributes set.
        """
        if ax is None:  # constrained layout keeps the right-hand axis and its label inside the figure
            _, ax = _import_pyplot("LossCurveDisplay").subplots(layout="constrained")
        name = self.estimator_name if name is None else name
        prefix = f"{name}: " if name else ""
        epochs = np.arange(1, len(self.loss_curve) + 1)
        (self.line_,) = ax.plot(epochs, self.loss_curve, **{"label": f"{prefix}training objective", **(line_kw or {})})
        ax.set_xlabel("epoch")
        ax.set_ylabel("training objective J")
        if log_scale:
            ax.set_yscale("log")
        self.validation_line_ = self.validation_ax_ = None
        if self.validation_scores is not None and len(self.validation_scores):
            self._plot_validation(
                ax, epochs, {"label": f"{prefix}{self.validation_label}", **(validation_line_kw or {})}
            )
        # every labelled curve of the axes, so several displays can share them; 'best' keeps clear of them all
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_validation(self, ax, epochs, line_kw):
        """Draw the validation curve and mark its best epoch, on the scale of a twin axes at the right.

        The curve is drawn in ``ax`` itself, in the twin's data coordinates, rather than in the twin: so the
        legend of ``ax``, placed at the 'best' spot among the artists of ``ax``, keeps clear of both curves.
        """
        from matplotlib.lines import Line2D

        self.validation_ax_ = ax.twinx()
        scores = np.asarray(self.validation_scores, dtype=float)
        self.validation_line_ = Line2D(
            epochs, scores, transform=self.validation_ax_.transData, **{"color": "C1", **line_kw}
        )
        best = int(np.argmax(scores))
        marker = Line2D(
            [epochs[best]], [scores[best]], marker="o", linestyle="none", label="_best",
            color=self.validation_line_.get_color(), transform=self.validation_ax_.transData,
        )  # fmt: skip
        for line in (self.validation_line_, marker):
            ax.add_artist(line)
        # the twin draws no line, so it learns the scores' range from here (the epochs come from ``ax``)
        self.validation_ax_.update_datalim(np.column_stack([epochs, scores]), updatex=False)
        self.validation_ax_.autoscale_view(scalex=False)
        self.validation_ax_.set_ylabel(self.validation_label)

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, log_scale=False, line_kw=None, validation_line_kw=None):
        """Draw the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted sknotes estimator (anything with ``loss_curve_``), or a
            fitted :class:`~sklearn.pipeline.Pipeline` or search
            (:class:`~sklearn.model_selection.GridSearchCV`) around one: the
            last step of the pipeline, the best estimator of the search is drawn.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes if None.

        name : str, default=None
            Name for the legend; the estimator's class name if None.

        log_scale : bool, default=False
            Draw the objective on a logarithmic y-axis.

        line_kw, validation_line_kw : dict, default=None
            Keyword arguments for the two curves' ``plot`` calls.

        Returns
        -------
        display : LossCurveDisplay
        """
        model = _final_estimator(estimator)
        if not hasattr(model, "loss_curve_"):
            raise ValueError(
                f"{type(model).__name__} has no loss_curve_: pass a fitted sknotes estimator "
                "(or a fitted pipeline or search around one)."
            )
        display = cls(
            loss_curve=list(model.loss_curve_),
            validation_scores=getattr(model, "validation_scores_", None),
            estimator_name=type(model).__name__,
            validation_label=_validation_label(model),
        )
        return display.plot(
            ax=ax, name=name, log_scale=log_scale, line_kw=line_kw, validation_line_kw=validation_line_kw
        )


class LearningRateFinderDisplay:
    """The learning-rate range test: the smoothed objective against the learning rate.

    Create it with :meth:`from_estimator`, which runs
    :func:`~sknotes.lr_finder.find_learning_rate`, or :meth:`from_result`
    from a result already computed. The curve is drawn on a logarithmic
    x-axis, with a marker at the suggested rate and a dashed vertical line
    at the step that ``learning_rate='auto'`` stands for.

    Parameters
    ----------
    learning_rates : array-like of shape (n_steps,)
        The learning rates tried, increasing.

    losses : array-like of shape (n_steps,)
        The smoothed objective at each rate.

    suggestion : float
        The suggested learning rate.

    auto_learning_rate : float, default=None
        The step of ``learning_rate='auto'``; no vertical line if None.

    estimator_name : str, default=None
        Name used in the legend; none if None.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The objective's curve.

    suggestion_marker_ : matplotlib Line2D
        The marker at the suggested rate, on the curve.

    auto_line_ : matplotlib Line2D or None
        The vertical line at the 'auto' rate, or None without one.

    ax_ : matplotlib Axes
        The axes of the curve.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    sknotes.lr_finder.find_learning_rate : The range test itself.
    LossCurveDisplay : The objective per epoch of a fitted estimator.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknotes import SoftmaxClassifier
    >>> from sknotes.plotting import LearningRateFinderDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(MinMaxScaler(), SoftmaxClassifier(momentum=0.0))
    >>> display = LearningRateFinderDisplay.from_estimator(model, X, y, n_steps=50, random_state=0)
    >>> display.ax_.get_xscale(), display.ax_.get_xlabel()
    ('log', 'learning rate')
    >>> float(display.suggestion_marker_.get_xdata()[0]) == display.suggestion
    True
    """

    def __init__(self, *, learning_rates, losses, suggestion, auto_learning_rate=None, estimator_name=None):
        self.learning_rates = learning_rates
        self.losses = losses
        self.suggestion = suggestion
        self.auto_learning_rate = auto_learning_rate
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, line_kw=None):
        """Draw the curve, the suggestion and the 'auto' rate.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes if None.

        name : str, default=None
            Name for the legend; ``estimator_name`` if None.

        line_kw : dict, default=None
            Keyword arguments for the curve's ``plot`` call.

        Returns
        -------
        display : LearningRateFinderDisplay
            This object, with ``ax_``, ``figure_``, ``line_``,
            ``suggestion_marker_`` and ``auto_line_`` set.
        """
        if ax is None:
            _, ax = _import_pyplot("LearningRateFinderDisplay").subplots(layout="constrained")
        name = self.estimator_name if name is None else name
        prefix = f"{name}: " if name else ""
        rates, losses = np.asarray(self.learning_rates, dtype=float), np.asarray(self.losses, dtype=float)
        (self.line_,) = ax.plot(rates, losses, **{"label": f"{prefix}smoothed objective", **(line_kw or {})})
        at_suggestion = np.interp(np.log(self.suggestion), np.log(rates), losses)
        (self.suggestion_marker_,) = ax.plot(
            [self.suggestion], [at_suggestion], marker="o", linestyle="none", color=self.line_.get_color(),
            label=f"suggestion: {self.suggestion:.3g}",
        )  # fmt: skip
        self.auto_line_ = None
        if self.auto_learning_rate is not None:
            self.auto_line_ = ax.axvline(
                self.auto_learning_rate, color="0.4", linestyle="--",
                label=f"learning_rate='auto': {self.auto_learning_rate:.3g}",
            )  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("smoothed training objective J")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_result(cls, result, *, ax=None, name=None, line_kw=None):
        """Draw a :class:`~sknotes.lr_finder.LearningRateFinderResult`.

        Parameters
        ----------
        result : LearningRateFinderResult
            What :func:`~sknotes.lr_finder.find_learning_rate` returned.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes if None.

        name : str, default=None
            Name for the legend; the estimator's class name if None.

        line_kw : dict, default=None
            Keyword arguments for the curve's ``plot`` call.

        Returns
        -------
        display : LearningRateFinderDisplay
        """
        display = cls(
            learning_rates=result.learning_rates,
            losses=result.losses,
            suggestion=result.suggestion,
            auto_learning_rate=result.auto_learning_rate,
            estimator_name=result.estimator_name,
        )
        return display.plot(ax=ax, name=name, line_kw=line_kw)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, name=None, line_kw=None, **finder_params):
        """Run the range test on an estimator and draw it.

        Parameters
        ----------
        estimator : estimator instance
            An sknotes estimator with a solver that takes steps, or a
            :class:`~sklearn.pipeline.Pipeline` ending in one; left unchanged.

        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        ax, name, line_kw : optional
            As in :meth:`from_result`: the axes to draw on (new ones if
            None), the name for the legend (the estimator's class name if
            None), keyword arguments for the curve's ``plot`` call.

        **finder_params : dict
            Keyword arguments of :func:`~sknotes.lr_finder.find_learning_rate`
            (``min_lr``, ``max_lr``, ``n_steps``, ``batch_size``, ``random_state``...).

        Returns
        -------
        display : LearningRateFinderDisplay
        """
        result = find_learning_rate(estimator, X, y, **finder_params)
        return cls.from_result(result, ax=ax, name=name, line_kw=line_kw)


#: What each column of ``diagnostics_`` is drawn as: the y-axis label, and whether on a logarithmic scale.
DIAGNOSTICS_PANELS = {
    "grad_norm": ("gradient norm ||dJ/dW||", True),
    "update_ratio": ("update / weights, ||ΔW|| / ||W||", True),
    "weight_norm": ("weight norm ||W||", False),
    "dead_fraction": ("fraction of dead ReLU units", False),
    "saturated_fraction": ("fraction of saturated units", False),
}


class TrainingDiagnosticsDisplay:
    """Per-layer training diagnostics, epoch by epoch: one panel per quantity, one line per layer.

    Create it with :meth:`from_estimator` from an estimator fitted with
    ``diagnostics=True``, or directly from its ``diagnostics_`` and then call
    :meth:`plot`. Each panel draws one column of ``diagnostics_`` against
    the epoch (the L-BFGS iteration), one line per layer, coloured from the
    input side (dark) to the output side (light): the gradient norm of each
    layer's weights and the update ratio on logarithmic axes (a layer whose
    curve lies orders of magnitude below the others learns that much more
    slowly: vanishing gradients), the weight norm, and the fractions of dead
    ReLU or saturated sigmoid/tanh units where the network has them.

    Parameters
    ----------
    diagnostics : dict of list
        An estimator's ``diagnostics_``: columns 'epoch', 'layer' and the
        quantities (see the estimators' ``diagnostics`` parameter).

    estimator_name : str, default=None
        Name used in the first panel's title; none if None.

    Attributes
    ----------
    lines_ : dict of str to list of matplotlib Line2D
        By quantity, the line of each layer drawn (a layer with no value for
        a quantity, like the output layer for dead units, has none).

    axes_ : ndarray of matplotlib Axes
        One panel per quantity, in the order of ``metrics``.

    ax_ : matplotlib Axes
        The first panel (the gradient norms by default), which holds the legend.

    figure_ : matplotlib Figure
        The figure holding the panels.

    See Also
    --------
    LossCurveDisplay : The objective per epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknotes import MLPFromScratch
    >>> from sknotes.plotting import TrainingDiagnosticsDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPFromScratch((16, 16), max_iter=5, random_state=0, diagnostics=True).fit(X / 16, y)
    >>> display = TrainingDiagnosticsDisplay.from_estimator(clf)
    >>> [ax.get_ylabel() for ax in display.axes_]  # doctest: +NORMALIZE_WHITESPACE
    ['gradient norm ||dJ/dW||', 'update / weights, ||ΔW|| / ||W||', 'weight norm ||W||',
     'fraction of dead ReLU units']
    >>> [line.get_label() for line in display.lines_["grad_norm"]]
    ['layer 1', 'layer 2', 'layer 3']
    """

    def __init__(self, *, diagnostics, estimator_name=None):
        self.diagnostics = diagnostics
        self.estimator_name = estimator_name

    def _default_metrics(self):
        """The quantities with a value somewhere: the norms and the ratio always, the unit fractions if any."""
        return [
            metric
            for metric in DIAGNOSTICS_PANELS
            if metric not in ("dead_fraction", "saturated_fraction")
            or np.isfinite(np.asarray(self.diagnostics.get(metric, []), dtype=float)).any()
        ]

    def plot(self, ax=None, *, metrics=None, name=None, line_kw=None):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per quantity of ``metrics``; a new figure (with
            constrained layout) with a row of panels if None.

        metrics : list of str, default=None
            The columns of ``diagnostics_`` to draw, each in its own panel:
            'grad_norm', 'update_ratio', 'weight_norm', 'dead_fraction',
            'saturated_fraction'. If None, the first three and the fractions
            of units the network has (dead ReLU, or saturated sigmoid/tanh).

        name : str, default=None
            Title of the first panel; ``estimator_name`` if None.

        line_kw : dict, default=None
            Keyword arguments for every line's ``plot`` call.

        Returns
        -------
        display : TrainingDiagnosticsDisplay
            This object, with ``lines_``, ``axes_``, ``ax_`` and ``figure_`` set.
        """
        metrics = self._default_metrics() if metrics is None else list(metrics)
        unknown = [metric for metric in metrics if metric not in DIAGNOSTICS_PANELS]
        if unknown or not metrics:
            raise ValueError(f"metrics must name some of {sorted(DIAGNOSTICS_PANELS)}; got {metrics!r}.")
        if ax is None:
            plt = _import_pyplot("TrainingDiagnosticsDisplay")
            _, ax = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.4), layout="constrained")
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if axes.size != len(metrics):
            raise ValueError(f"ax must hold one Axes per metric: {len(metrics)} for {metrics}, got {axes.size}.")
        epochs = np.asarray(self.diagnostics["epoch"])
        layers = np.asarray(self.diagnostics["layer"])
        numbers = sorted(set(layers.tolist()))
        from matplotlib import colormaps

        colours = colormaps["viridis"]
        self.lines_ = {}
        for panel, metric in zip(axes, metrics):
            values = np.asarray(self.diagnostics[metric], dtype=float)
            self.lines_[metric] = []
            for i, layer in enumerate(numbers):
                rows = layers == layer
                if not np.isfinite(values[rows]).any():
                    continue
                colour = colours(0.85 * i / max(len(numbers) - 1, 1))
                kw = {"label": f"layer {layer}", "color": colour, **(line_kw or {})}
                (line,) = panel.plot(epochs[rows], values[rows], **kw)
                self.lines_[metric].append(line)
            label, log = DIAGNOSTICS_PANELS[metric]
            panel.set_xlabel("epoch")
            panel.set_ylabel(label)
            if log:
                panel.set_yscale("log")
            elif metric.endswith("_fraction"):
                panel.set_ylim(-0.03, 1.03)
        name = self.estimator_name if name is None else name
        if name:
            axes[0].set_title(name)
        axes[0].legend(loc="best")
        self.axes_, self.ax_, self.figure_ = axes, axes[0], axes[0].figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, metrics=None, ax=None, name=None, line_kw=None):
        """Draw the diagnostics of an estimator fitted with ``diagnostics=True``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted sknotes estimator with ``diagnostics_``, or a fitted
            :class:`~sklearn.pipeline.Pipeline` or search around one (the
            last step of the pipeline, the best estimator of the search).

        metrics : list of str, default=None
            The quantities to draw (see :meth:`plot`).

        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per quantity; a new figure if None.

        name : str, default=None
            Title of the first panel; the estimator's class name if None.

        line_kw : dict, default=None
            Keyword arguments for every line's ``plot`` call.

        Returns
        -------
        display : TrainingDiagnosticsDisplay
        """
        model = _final_estimator(estimator)
        if getattr(model, "diagnostics_", None) is None:
            raise ValueError(
                f"{type(model).__name__} has no diagnostics_: fit it with diagnostics=True (a fitted sknotes "
                "estimator, or a fitted pipeline or search around one)."
            )
        display = cls(diagnostics=model.diagnostics_, estimator_name=type(model).__name__)
        return display.plot(ax=ax, metrics=metrics, name=name, line_kw=line_kw)
