"""sknotes.plotting: LossCurveDisplay, and scikit-learn's displays on sknotes estimators (headless)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import LinearRegressorGD, MLPFromScratch, SoftmaxClassifier
from sknotes.lr_finder import LearningRateFinderResult, find_learning_rate
from sknotes.plotting import LearningRateFinderDisplay, LossCurveDisplay, TrainingDiagnosticsDisplay

matplotlib = pytest.importorskip("matplotlib", reason="plots need the 'plot' extra (matplotlib)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


def test_importing_sknotes_does_not_import_matplotlib():
    code = "import sys, sknotes, sknotes.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_from_estimator_draws_the_loss_curve(iris):
    X, y = iris
    clf = SoftmaxClassifier(random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    assert_allclose(display.line_.get_ydata(), clf.loss_curve_)
    assert list(display.line_.get_xdata()) == list(range(1, clf.n_iter_ + 1))
    assert display.figure_ is display.ax_.figure
    assert display.validation_line_ is None and display.validation_ax_ is None
    assert "SoftmaxClassifier" in display.line_.get_label()


@pytest.mark.parametrize(
    "scoring, label",
    [("accuracy", "validation accuracy"), (None, "validation accuracy"), (lambda est, X, y: 0.0, "validation score")],
)
def test_the_validation_axis_names_the_scoring(iris, scoring, label):
    X, y = iris
    clf = SoftmaxClassifier(early_stopping=True, scoring=scoring, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        display = LossCurveDisplay.from_estimator(clf.fit(X, y))
    assert display.validation_ax_.get_ylabel() == label


def test_early_stopping_adds_the_validation_curve_on_a_second_axis(iris):
    X, y = iris
    clf = SoftmaxClassifier(early_stopping=True, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    assert_allclose(display.validation_line_.get_ydata(), clf.validation_scores_)
    assert display.validation_ax_ is not display.ax_
    assert display.validation_ax_.get_ylabel() == "validation score: minus the loss"  # (scoring='loss')
    # drawn in the main axes (so that its legend avoids both curves), on the scale of the twin
    assert display.validation_line_.axes is display.ax_
    assert display.validation_line_.get_transform() == display.validation_ax_.transData
    low, high = display.validation_ax_.get_ylim()
    assert low < min(clf.validation_scores_) and max(clf.validation_scores_) < high
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["SoftmaxClassifier: training objective", "SoftmaxClassifier: validation score: minus the loss"]
    # the best epoch is marked at the best validation score
    marker = display.ax_.lines[-1]
    assert marker.get_ydata()[0] == max(clf.validation_scores_)


def test_pipelines_and_searches_are_unwrapped(iris):
    X, y = iris
    pipe = make_pipeline(MinMaxScaler(), SoftmaxClassifier(random_state=0)).fit(X, y)
    assert_allclose(LossCurveDisplay.from_estimator(pipe).line_.get_ydata(), pipe[-1].loss_curve_)
    search = GridSearchCV(pipe, {"softmaxclassifier__weight_decay": [1e-4, 1e-2]}, cv=3).fit(X, y)
    display = LossCurveDisplay.from_estimator(search)
    assert_allclose(display.line_.get_ydata(), search.best_estimator_[-1].loss_curve_)


def test_plot_on_given_axes_with_name_log_scale_and_line_keywords(iris):
    X, y = iris
    clf = SoftmaxClassifier(random_state=0).fit(X, y)
    fig, (left, right) = plt.subplots(1, 2)
    display = LossCurveDisplay.from_estimator(
        clf, ax=right, name="softmax", log_scale=True, line_kw={"color": "k", "linestyle": "--"}
    )
    assert display.ax_ is right and display.figure_ is fig
    assert right.get_yscale() == "log" and left.get_yscale() == "linear"
    assert display.line_.get_label() == "softmax: training objective"
    assert display.line_.get_linestyle() == "--"
    assert matplotlib.colors.to_hex(display.line_.get_color()) == "#000000"


def test_display_from_numbers():
    display = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5], validation_scores=np.array([0.5, 0.7, 0.6]))
    display.plot()
    assert list(display.line_.get_ydata()) == [3.0, 2.0, 1.5]
    assert display.line_.get_label() == "training objective"
    marker = display.ax_.lines[-1]
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (2, 0.7)


def test_unfitted_or_foreign_estimator_is_refused():
    with pytest.raises(ValueError, match="no loss_curve_"):
        LossCurveDisplay.from_estimator(SoftmaxClassifier())
    with pytest.raises(ValueError, match="MinMaxScaler has no loss_curve_"):
        LossCurveDisplay.from_estimator(MinMaxScaler())


def test_sklearn_displays_work_with_sknotes_estimators():
    """DecisionBoundaryDisplay and ValidationCurveDisplay need no sknotes-specific code."""
    from sklearn.inspection import DecisionBoundaryDisplay
    from sklearn.model_selection import ValidationCurveDisplay

    X, y = make_moons(n_samples=100, noise=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPFromScratch((8,), learning_rate=0.01, max_iter=50, random_state=0).fit(X, y)
        boundary = DecisionBoundaryDisplay.from_estimator(clf, X, response_method="predict_proba")
        curve = ValidationCurveDisplay.from_estimator(
            LinearRegressorGD(), X, X[:, 0] + X[:, 1], param_name="weight_decay", param_range=[0.0, 1.0], cv=3
        )
    assert boundary.response.shape == boundary.xx0.shape
    assert curve.train_scores.shape == (2, 3)
    assert curve.train_scores[0].mean() > curve.train_scores[1].mean()  # weight decay costs training fit


def test_several_displays_share_one_axes_and_one_legend(iris):
    X, y = iris
    fig, ax = plt.subplots()
    for solver in ("sgd", "adam"):
        clf = SoftmaxClassifier(solver=solver, max_iter=20, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        LossCurveDisplay.from_estimator(clf, ax=ax, name=solver)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["sgd: training objective", "adam: training objective"]
    assert len(ax.get_lines()) == 2


# ---- layout: nothing clipped, the legend beside the curves rather than over them ------------------------------


def overfitting_curves(n_epochs=40):
    """A falling objective, and a validation accuracy (0.94 to 0.975: three decimals on its axis) that peaks early
    and then sinks back to 0.95, crossing the middle of the right-hand side as a network starts memorising."""
    epochs = np.arange(n_epochs)
    loss = 0.3 + 2.0 * np.exp(-epochs / 6)
    bump = np.exp(-(((epochs - 10) / 8) ** 2))
    validation = np.where(epochs <= 10, 0.93 + 0.045 * bump, 0.95 + 0.025 * bump)
    return loss, validation


def drawn(display):
    display.figure_.canvas.draw()
    return display.figure_.canvas.get_renderer()


def test_a_new_figure_shows_both_y_labels_whole():
    loss, validation = overfitting_curves()
    display = LossCurveDisplay(loss_curve=loss, validation_scores=validation).plot()
    renderer = drawn(display)
    figure_box = display.figure_.bbox
    for label in (display.ax_.yaxis.label, display.validation_ax_.yaxis.label, display.ax_.xaxis.label):
        box = label.get_window_extent(renderer)
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1, label.get_text()
        assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1, label.get_text()


@pytest.mark.parametrize("with_validation", [True, False])
def test_the_legend_leaves_both_curves_free(with_validation):
    loss, validation = overfitting_curves()
    display = LossCurveDisplay(loss_curve=loss, validation_scores=validation if with_validation else None)
    display.plot(name="MLPFromScratch")
    renderer = drawn(display)
    (legend,) = [ax.get_legend() for ax in display.figure_.axes if ax.get_legend() is not None]
    assert len(legend.get_texts()) == (2 if with_validation else 1)
    legend_box = legend.get_window_extent(renderer)
    for line in [display.line_] + ([display.validation_line_] if with_validation else []):
        curve = line.get_transform().transform_path(line.get_path())
        assert not curve.intersects_bbox(legend_box, filled=False), line.get_label()
        assert not legend_box.count_contains(curve.vertices), line.get_label()


# ---- LearningRateFinderDisplay --------------------------------------------------------------------------------------


def test_learning_rate_finder_display_from_estimator(iris):
    X, y = iris
    model = make_pipeline(MinMaxScaler(), SoftmaxClassifier(momentum=0.0, random_state=0))
    display = LearningRateFinderDisplay.from_estimator(model, X, y, n_steps=40, random_state=0)
    result = find_learning_rate(model, X, y, n_steps=40, random_state=0)
    assert_allclose(display.line_.get_xdata(), result.learning_rates)
    assert_allclose(display.line_.get_ydata(), result.losses)
    assert display.suggestion == result.suggestion and display.auto_learning_rate == result.auto_learning_rate
    assert display.ax_.get_xscale() == "log" and display.figure_ is display.ax_.figure
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("learning rate", "smoothed training objective J")
    # the marker sits on the curve at the suggestion; the dashed line stands at the 'auto' rate
    (x,), (y_marker,) = display.suggestion_marker_.get_xdata(), display.suggestion_marker_.get_ydata()
    assert x == result.suggestion
    assert y_marker == result.losses[list(result.learning_rates).index(result.suggestion)]
    assert list(display.auto_line_.get_xdata()) == [result.auto_learning_rate] * 2
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == [
        "SoftmaxClassifier: smoothed objective",
        f"suggestion: {result.suggestion:.3g}",
        f"learning_rate='auto': {result.auto_learning_rate:.3g}",
    ]


def test_learning_rate_finder_display_from_result_on_given_axes():
    result = LearningRateFinderResult(
        learning_rates=np.logspace(-3, 0, 4), losses=np.array([2.0, 1.5, 0.5, 3.0]), raw_losses=np.zeros(4),
        suggestion=1e-2, auto_learning_rate=None, stopped="diverged", estimator_name="Model",
    )  # fmt: skip
    fig, (left, right) = plt.subplots(1, 2)
    display = LearningRateFinderDisplay.from_result(result, ax=right, name="mine", line_kw={"color": "k"})
    assert display.ax_ is right and display.figure_ is fig and left.get_xscale() == "linear"
    assert display.auto_line_ is None and len(right.get_lines()) == 2
    assert display.line_.get_label() == "mine: smoothed objective"
    assert matplotlib.colors.to_hex(display.line_.get_color()) == "#000000"
    assert display.suggestion_marker_.get_ydata()[0] == 1.5


def test_learning_rate_finder_display_refuses_lbfgs(iris):
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        LearningRateFinderDisplay.from_estimator(SoftmaxClassifier(solver="lbfgs"), *iris)


# ---- TrainingDiagnosticsDisplay -------------------------------------------------------------


def test_diagnostics_display_draws_one_line_per_layer_per_quantity(iris):
    X, y = iris
    clf = MLPFromScratch((5, 4), activation="tanh", max_iter=4, random_state=0, diagnostics=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    display = TrainingDiagnosticsDisplay.from_estimator(clf)
    metrics = ["grad_norm", "update_ratio", "weight_norm", "saturated_fraction"]  # tanh: no dead-unit panel
    assert list(display.lines_) == metrics
    assert len(display.axes_) == 4 and display.ax_ is display.axes_[0]
    assert display.figure_ is display.ax_.figure
    d = {column: np.asarray(values) for column, values in clf.diagnostics_.items()}
    for metric in ("grad_norm", "update_ratio", "weight_norm"):
        assert [line.get_label() for line in display.lines_[metric]] == ["layer 1", "layer 2", "layer 3"]
        for layer, line in enumerate(display.lines_[metric], start=1):
            assert_allclose(line.get_xdata(), [1, 2, 3, 4])
            assert_allclose(line.get_ydata(), d[metric][d["layer"] == layer])
    assert len(display.lines_["saturated_fraction"]) == 2  # the output layer has no tanh units
    assert display.axes_[0].get_yscale() == "log" and display.axes_[3].get_ylim() == (-0.03, 1.03)
    assert display.ax_.get_title() == "MLPFromScratch"


def test_diagnostics_display_on_given_axes_and_through_a_pipeline(iris):
    X, y = iris
    pipe = make_pipeline(MinMaxScaler(), SoftmaxClassifier(diagnostics=True, random_state=0)).fit(X, y)
    _, axes = plt.subplots(1, 2)
    display = TrainingDiagnosticsDisplay.from_estimator(pipe, metrics=["grad_norm", "weight_norm"], ax=axes)
    assert list(display.axes_) == list(axes)
    assert_allclose(display.lines_["grad_norm"][0].get_ydata(), pipe[-1].diagnostics_["grad_norm"])
    with pytest.raises(ValueError, match="one Axes per metric"):
        TrainingDiagnosticsDisplay.from_estimator(pipe, ax=axes)
    with pytest.raises(ValueError, match="metrics"):
        TrainingDiagnosticsDisplay.from_estimator(pipe, metrics=["loss"])


def test_diagnostics_display_asks_for_diagnostics_true(iris):
    X, y = iris
    clf = SoftmaxClassifier(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="diagnostics=True"):
        TrainingDiagnosticsDisplay.from_estimator(clf)
