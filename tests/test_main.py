"""``python -m sknotes``: the demo (run in its --quick form; headless)."""

import io
import subprocess
import sys

import pytest

from sknotes.__main__ import PLOTS, _cases, _FitCounter, main, run_case

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


def test_quick_demo_prints_the_table_and_writes_the_plots(agg, tmp_path, capsys):
    results = main(["--quick", "--out", str(tmp_path / "plots")])
    out = capsys.readouterr().out
    assert [r.case.key for r in results] == [case.key for case in _cases()]
    for peer in ("LinearRegression", "LogisticRegression", "MLPClassifier"):
        assert peer in out
    for case in _cases():
        assert f"{case.data:9} {case.model}" in out
    for name in PLOTS:
        path = tmp_path / "plots" / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        assert f"  {name}" in out
    for r in results:
        assert -1 <= r.test_score <= 1 and 0 <= r.cv_score[1]
        assert set(r.search.best_params_) == {"model__learning_rate", "model__weight_decay"}
    # the notes' point: on the red/blue dots the MLP fits the training data better than a linear boundary
    by_key = {r.case.key: r for r in results}
    dots_train = by_key["mlp_dots"].X_train, by_key["mlp_dots"].y_train
    assert by_key["mlp_dots"].search.score(*dots_train) > by_key["softmax_dots"].search.score(*dots_train)


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
