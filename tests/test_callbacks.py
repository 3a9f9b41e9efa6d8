"""scikit-learn's experimental callback API (sklearn.callback, 1.9+) through ``set_callbacks``."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from estimators import SOLVERS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import SoftmaxClassifier
from sknotes._callbacks import FitCallbacks

pytest.importorskip("sklearn.callback", reason="scikit-learn's callback API needs scikit-learn >= 1.9")


class Recorder:
    """A FitCallback that records every hook call and can ask training to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.fitted = []

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name, context.task_id))
        if context.task_name == "epoch" and fitted_estimator is not None:
            self.fitted.append(fitted_estimator)
        return self.stop_after is not None and context.task_name == "epoch" and context.task_id + 1 >= self.stop_after

    def count(self, kind, task_name):
        return sum(1 for event in self.events if event[0] == kind and event[1] == task_name)


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


@pytest.fixture
def regression():
    X, y = make_regression(n_samples=100, n_features=4, noise=1.0, random_state=0)
    return MinMaxScaler().fit_transform(X), y / 100


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_epoch_task_per_epoch_inside_one_fit_task(Estimator, solver, iris, regression):
    Est = Estimator
    X, y = iris if is_classifier(Est()) else regression
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(solver=solver, max_iter=15, random_state=0).set_callbacks(recorder).fit(X, y)
    assert recorder.events[0] == ("setup", "fit")
    assert recorder.events[1] == ("begin", "fit", 0)
    assert recorder.events[-2:] == [("end", "fit", 0), ("teardown", "fit")]
    epoch_ends = [event for event in recorder.events if event[:2] == ("end", "epoch")]
    # one epoch task per epoch, plus, when training stopped before max_iter (L-BFGS may always), the one that
    # began after the last epoch but never ran
    assert len(recorder.fitted) == est.n_iter_
    stopped_early = solver == "lbfgs" or est.n_iter_ < 15
    assert len(epoch_ends) - est.n_iter_ in ((0, 1) if stopped_early else (0,))
    assert recorder.count("begin", "epoch") == recorder.count("end", "epoch")
    assert [event[2] for event in epoch_ends] == list(range(len(epoch_ends)))


def test_a_callback_can_stop_training_and_the_fit_is_not_a_convergence_failure(iris):
    X, y = iris
    recorder = Recorder(stop_after=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = SoftmaxClassifier(random_state=0).set_callbacks(recorder).fit(X, y)
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3
    assert recorder.count("end", "epoch") == 3


def test_lbfgs_can_be_stopped_by_a_callback(iris):
    X, y = iris
    clf = SoftmaxClassifier(solver="lbfgs").set_callbacks(Recorder(stop_after=2)).fit(X, y)
    assert clf.n_iter_ == 2


def test_fitted_estimator_of_each_epoch_predicts_with_that_epochs_parameters(iris):
    X, y = iris
    recorder = Recorder()
    clf = SoftmaxClassifier(max_iter=5, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_callbacks(recorder).fit(X, y)
    assert [fitted.n_iter_ for fitted in recorder.fitted] == [1, 2, 3, 4, 5]
    assert_allclose(recorder.fitted[-1].coef_, clf.coef_)
    assert_array_equal(recorder.fitted[-1].predict(X), clf.predict(X))
    # earlier epochs are earlier parameters, not views of the final ones
    assert not np.allclose(recorder.fitted[0].coef_, clf.coef_)
    assert recorder.fitted[0].loss_curve_ == clf.loss_curve_[:1]


def test_partial_fit_is_one_fit_task_with_one_epoch(iris):
    X, y = iris
    recorder = Recorder()
    clf = SoftmaxClassifier(random_state=0).set_callbacks(recorder)
    clf.partial_fit(X, y, classes=np.unique(y))
    clf.partial_fit(X, y)
    assert recorder.count("begin", "fit") == recorder.count("end", "fit") == 2
    assert recorder.count("end", "epoch") == 2
    assert recorder.count("teardown", "fit") == 2


def test_a_failing_fit_still_tears_the_callbacks_down_and_keeps_the_estimator(iris):
    X, y = iris
    recorder = Recorder()
    clf = SoftmaxClassifier(learning_rate=1e6, momentum=0, random_state=0).set_callbacks(recorder)
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X * 1e3, y)
    assert recorder.events[-1] == ("teardown", "fit")
    assert not hasattr(clf, "coef_")
    assert not hasattr(clf, "_callback_fit_ctx")


def test_no_context_is_left_on_the_fitted_estimator_and_it_pickles(iris):
    X, y = iris
    clf = SoftmaxClassifier(random_state=0).set_callbacks(Recorder()).fit(X, y)
    assert not any("callback_fit_ctx" in name or "teardown" in name for name in vars(clf))
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict(X), clf.predict(X))


def test_clones_share_the_callbacks_so_a_grid_search_reports_every_fit(iris):
    X, y = iris
    recorder = Recorder()
    clf = SoftmaxClassifier(max_iter=20, random_state=0).set_callbacks(recorder)
    assert clone(clf)._skl_callbacks == [recorder]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GridSearchCV(clf, {"weight_decay": [1e-4, 1e-3]}, cv=3).fit(X, y)
    assert recorder.count("end", "fit") == 2 * 3 + 1  # every candidate on every fold, and the refit


def test_without_callbacks_nothing_is_set_up(iris):
    X, y = iris
    clf = SoftmaxClassifier(random_state=0)
    callbacks = FitCallbacks(clf, X, y, None, max_epochs=10)
    assert not callbacks.active
    assert callbacks.epoch_hook(None, None) is None
    assert not hasattr(clf, "_callback_fit_ctx")


def test_progress_bar_in_a_pipeline(iris, capsys):
    pytest.importorskip("rich", reason="sklearn.callback.ProgressBar needs rich")
    from sklearn.callback import ProgressBar

    X, y = iris
    pipe = make_pipeline(MinMaxScaler(), SoftmaxClassifier(max_iter=30, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MinMaxScaler takes no callbacks; max_iter reached
        pipe.set_callbacks(ProgressBar()).fit(X, y)
    assert pipe.score(X, y) > 0.8
    assert "SoftmaxClassifier - fit" in capsys.readouterr().out


def test_progress_bar_on_the_estimator(iris, capsys):
    pytest.importorskip("rich", reason="sklearn.callback.ProgressBar needs rich")
    from sklearn.callback import ProgressBar

    X, y = iris
    clf = SoftmaxClassifier(random_state=0).set_callbacks(ProgressBar()).fit(X, y)
    assert clf.score(X, y) > 0.8
    assert "SoftmaxClassifier - fit" in capsys.readouterr().out


def test_estimators_work_without_the_callback_api():
    """With a scikit-learn that has no sklearn.callback (< 1.9), sknotes imports, fits, and has no set_callbacks."""
    code = (
        "import sys\n"
        "import sknotes  # loads the scikit-learn modules it needs (which themselves import sklearn.callback)\n"
        "for name in [name for name in sys.modules if name.startswith('sknotes')]:\n"
        "    del sys.modules[name]\n"
        "sys.modules['sklearn.callback'] = None  # hide the API while sknotes is imported again\n"
        "from sknotes import SoftmaxClassifier\n"
        "del sys.modules['sklearn.callback']  # scikit-learn 1.9's own fit wrapper imports it\n"
        "from sklearn.datasets import load_iris\n"
        "X, y = load_iris(return_X_y=True)\n"
        "clf = SoftmaxClassifier(solver='lbfgs').fit(X / 8, y)\n"
        "print(hasattr(clf, 'set_callbacks'), clf.score(X / 8, y) > 0.9)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
