"""``python -m sknotes``: the demo (run in its --quick form; headless)."""

import contextlib
import io
import subprocess
import sys

import pytest

from sknotes.__main__ import (
    PLOTS,
    _cases,
    _FitCounter,
    decision_boundaries_figure,
    main,
    run_case,
    validation_curve_figure,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def agg():
    matplotlib = pytest.importorskip("matplotlib", reason="the demo's plots need the 'plot' extra (matplotlib)")
    matplotlib.use("Agg")


def test_help_explains_the_demo_and_its_options():
    out = subprocess.run([sys.executable, "-m", "sknotes", "--help"], capture_output=True, text=True, check=True).stdout
    for words in ("usage: python -m sknotes", "--out DIR", "--no-plots", "--quick", "--n-jobs N"):
        assert words in out
    for words in ("learning rate x weight decay", "MinMaxScaler", "KFold", "validation curve over weight decay"):
        assert words in out


@pytest.fixture(scope="module")
def quick_demo(agg, tmp_path_factory):
    """One quick run of the demo: its results, what it printed, and its plot folder."""
    plots = tmp_path_factory.mktemp("demo") / "plots"
    with contextlib.redirect_stdout(io.StringIO()) as out:
        results = main(["--quick", "--out", str(plots)])
    return results, out.getvalue(), plots


def test_quick_demo_prints_the_table_and_writes_the_plots(quick_demo):
    results, out, plots = quick_demo
    assert [r.case.key for r in results] == [case.key for case in _cases()]
    for peer in ("LinearRegression", "LogisticRegression", "MLPClassifier"):
        assert peer in out
    for case in _cases():
        assert f"{case.data:9} {case.model}" in out
    for name in PLOTS:
        path = plots / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        assert f"  {name}" in out
    for r in results:
        assert -1 <= r.test_score <= 1 and 0 <= r.cv_score[1]
        assert set(r.search.best_params_) == {"model__learning_rate", "model__weight_decay"}
    # the notes' point: on the red/blue dots the MLP fits the training data better than a linear boundary
    by_key = {r.case.key: r for r in results}
    dots_train = by_key["mlp_dots"].X_train, by_key["mlp_dots"].y_train
    assert by_key["mlp_dots"].search.score(*dots_train) > by_key["softmax_dots"].search.score(*dots_train)


def test_decision_boundaries_have_axis_labels_a_class_legend_and_a_probability_colour_bar(quick_demo):
    results, _, _ = quick_demo
    fig = decision_boundaries_figure({r.case.key: r for r in results})
    left, right, colour_bar = fig.axes
    assert (left.get_xlabel(), left.get_ylabel()) == ("$x_1$", "$x_2$")
    assert right.get_xlabel() == "$x_1$"
    assert colour_bar.get_ylabel() == "predicted probability of blue (class 1)"
    assert colour_bar.get_ylim() == (0.0, 1.0)
    (legend,) = fig.legends
    assert [text.get_text() for text in legend.get_texts()] == ["red (class 0)", "blue (class 1)"]


def test_the_validation_curve_names_the_folds_not_a_test_set(quick_demo):
    results, _, _ = quick_demo
    fig = validation_curve_figure({r.case.key: r for r in results}["mlp_dots"])
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["training folds", "CV (validation folds)"]
    assert not any("test" in text.lower() for text in legend)


def test_no_plots_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sknotes.__main__._cases", lambda quick: _cases(quick)[:1])
    main(["--quick", "--no-plots", "--out", str(tmp_path / "plots")])
    out = capsys.readouterr().out
    assert not (tmp_path / "plots").exists()
    assert "Plots in" not in out and "diabetes" in out


def test_the_fit_counter_sees_every_fit_of_the_search():
    pytest.importorskip("sklearn.callback", reason="scikit-learn's callback API needs scikit-learn >= 1.9")
    case = _cases(quick=True)[2]  # softmax on the dots: quick
    n_fits = len(case.learning_rates) * len(case.weight_decays) * 3 + 1  # every candidate on every fold, the refit
    stream = io.StringIO()
    counter = _FitCounter("[3/5]", n_fits, stream)
    result = run_case(case, folds=3, progress=counter)
    assert counter.done == n_fits
    assert stream.getvalue().endswith(f"[3/5] fit {n_fits}/{n_fits}")
    assert result.search.n_splits_ == 3


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "sknotes", "--quick", "--no-plots"], capture_output=True, text=True, check=True
    )
    assert "scikit-learn peer" in proc.stdout
    assert proc.stdout.rstrip().endswith("s.") and "Total" in proc.stdout
