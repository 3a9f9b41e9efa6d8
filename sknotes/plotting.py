"""Plots of training, in the style of scikit-learn's Display objects.

:class:`LossCurveDisplay` draws the objective ``J`` epoch by epoch
(``loss_curve_``) and, when early stopping ran, the validation score beside
it (``validation_scores_``). For decision boundaries, validation curves and
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

__all__ = ["LossCurveDisplay"]


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


class LossCurveDisplay:
    """The training objective per epoch, with the validation score when early stopping ran.

    Create it with :meth:`from_estimator` from a fitted estimator, or directly
    from the numbers and then call :meth:`plot`. The training curve is
    ``loss_curve_``: the objective ``J`` (mean loss plus the weight-decay
    term) averaged over each epoch's mini-batches. The validation curve is
    ``validation_scores_`` (accuracy or R^2 on the held-out rows, higher is
    better), drawn on a second y-axis at the right, with a marker at the best
    epoch, whose parameters early stopping kept.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The objective at every epoch.

    validation_scores : array-like of shape (n_epochs,), default=None
        The validation score at every epoch, or None.

    estimator_name : str, default=None
        Name used in the legend; none if None.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training-objective curve.

    validation_line_ : matplotlib Line2D or None
        The validation-score curve, or None without validation scores.

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
    >>> display.validation_ax_.get_ylabel()
    'validation score'
    """

    def __init__(self, *, loss_curve, validation_scores=None, estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, log_scale=False, line_kw=None, validation_line_kw=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes if None.

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
        if ax is None:
            _, ax = _import_pyplot("LossCurveDisplay").subplots()
        name = self.estimator_name if name is None else name
        prefix = f"{name}: " if name else ""
        epochs = range(1, len(self.loss_curve) + 1)
        (self.line_,) = ax.plot(epochs, self.loss_curve, **{"label": f"{prefix}training objective", **(line_kw or {})})
        ax.set_xlabel("epoch")
        ax.set_ylabel("training objective J")
        if log_scale:
            ax.set_yscale("log")
        self.validation_line_ = self.validation_ax_ = None
        if self.validation_scores is not None and len(self.validation_scores):
            self.validation_ax_ = ax.twinx()
            style = {"color": "C1", "label": f"{prefix}validation score", **(validation_line_kw or {})}
            (self.validation_line_,) = self.validation_ax_.plot(epochs, self.validation_scores, **style)
            best = int(np.argmax(self.validation_scores))
            self.validation_ax_.plot(
                best + 1, self.validation_scores[best], "o", color=self.validation_line_.get_color(), label="_best"
            )
            self.validation_ax_.set_ylabel("validation score")
            # the twin axes is drawn over the first one, so it carries the legend; the middle right is where a
            # falling objective and a rising score usually leave room
            handles = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
            self.validation_ax_.legend(handles=[*handles, self.validation_line_], loc="center right")
        else:
            ax.legend(loc="best")  # every labelled curve on the axes, so several displays can share them
        self.ax_, self.figure_ = ax, ax.figure
        return self

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
        )
        return display.plot(
            ax=ax, name=name, log_scale=log_scale, line_kw=line_kw, validation_line_kw=validation_line_kw
        )
