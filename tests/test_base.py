"""The shared scikit-learn front end (sknotes/_base.py): options built from the core's registries, and behaviour
that matches scikit-learn's MLP.
"""

import warnings
from numbers import Real

import numpy as np
import pytest
from estimators import CLASSIFIERS, MLPS, REGRESSORS, is_mlp
from sklearn.base import is_classifier
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sknotes import MLPFromScratch
from sknotes.nn import HIDDEN_ACTIVATIONS, LOSSES, OPTIMIZERS
from sknotes.nn.activations import ALIASES

# ---------------------------------------------------------------------------------------------
# the options come from the registries of the core: a new optimizer, loss or activation needs no edit here
# ---------------------------------------------------------------------------------------------


def options(Est, parameter):
    """The strings the parameter constraint of ``Est`` accepts."""
    (constraint,) = [c for c in Est._parameter_constraints[parameter] if hasattr(c, "options")]
    return set(constraint.options)


def assert_constraint_is_the_setting(Est, parameter, setting):
    """The parameter's scikit-learn constraint is what the :class:`Setting` declares."""
    (constraint,) = Est._parameter_constraints[parameter]
    if setting.kind == "bool":
        assert constraint == "boolean", parameter
    else:
        bounds = (constraint.type, constraint.left, constraint.right, constraint.closed)
        assert bounds == (Real, setting.low, setting.high, setting.closed), parameter


def test_the_solvers_are_the_optimizers_and_lbfgs(Estimator):
    assert options(Estimator, "solver") == set(OPTIMIZERS) | {"lbfgs"}


@pytest.mark.parametrize("solver", OPTIMIZERS)
def test_every_optimizer_hyperparameter_is_a_parameter_with_the_declared_default(Estimator, solver):
    for parameter, setting in OPTIMIZERS[solver].HYPERPARAMETERS.items():
        assert_constraint_is_the_setting(Estimator, parameter, setting)


def test_the_regressors_losses_are_the_losses_of_values_with_their_parameters(Regressor):
    values = {loss: entry for loss, entry in LOSSES.items() if entry.targets == "values"}
    assert options(Regressor, "loss") == set(values)
    for entry in values.values():
        for parameter, setting in entry.parameters.items():  # Huber's delta
            assert_constraint_is_the_setting(Regressor, parameter, setting)


def test_the_mlp_activations_are_the_hidden_activations_and_their_aliases(MLP):
    assert options(MLP, "activation") == set(HIDDEN_ACTIVATIONS) | set(ALIASES)


def test_there_are_classifiers_and_regressors():
    assert CLASSIFIERS and REGRESSORS and MLPS


# ---------------------------------------------------------------------------------------------
# behaviour that matches scikit-learn's MLP
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def classification():
    return make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0)


def test_hidden_layer_sizes_as_an_int_is_one_hidden_layer(classification):
    X, y = classification
    clf = MLPFromScratch(hidden_layer_sizes=10, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert [W.shape for W in clf.coefs_] == [(5, 10), (10, 3)]
    assert clf.n_layers_ == 3


def test_logistic_is_scikit_learns_name_for_the_sigmoid(MLP, classification):
    X, y = classification
    kwargs = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        logistic = MLP(activation="logistic", **kwargs).fit(X, y)
        sigmoid = MLP(activation="sigmoid", **kwargs).fit(X, y)
    for W, W_ref in zip(logistic.coefs_, sigmoid.coefs_):
        np.testing.assert_array_equal(W, W_ref)
    assert logistic.get_params()["activation"] == "logistic"  # the parameter keeps the name it was given


def assert_warm_start_n_iter_counts_the_last_call_and_the_loss_curve_grows(Est, X, y):
    extra = {"hidden_layer_sizes": (6,)} if is_mlp(Est) else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(max_iter=5, warm_start=True, random_state=0, **extra).fit(X, y)
        est.set_params(max_iter=3).fit(X, y)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 8


def test_warm_start_n_iter_counts_the_last_call_and_the_loss_curve_grows(Estimator, classification):
    """As scikit-learn's MLPClassifier does (the next test): sknotes does what it does."""
    assert_warm_start_n_iter_counts_the_last_call_and_the_loss_curve_grows(Estimator, *classification)


def test_scikit_learns_mlp_classifier_counts_n_iter_and_grows_the_loss_curve_so(classification):
    assert_warm_start_n_iter_counts_the_last_call_and_the_loss_curve_grows(MLPClassifier, *classification)


def assert_warm_start_refuses_a_different_set_of_classes(Est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = Est(max_iter=3, warm_start=True, random_state=0).fit(X, y)
        coef = np.copy(clf.coefs_[0] if hasattr(clf, "coefs_") else clf.coef_)
        with pytest.raises(ValueError, match=r"warm_start can only be used where .?y.? has the same classes"):
            clf.fit(X, np.where(y == 2, 3, y))
    np.testing.assert_array_equal(clf.coefs_[0] if hasattr(clf, "coefs_") else clf.coef_, coef)


def test_warm_start_refuses_a_different_set_of_classes(Classifier, classification):
    """As scikit-learn's MLPClassifier does (the next test)."""
    assert_warm_start_refuses_a_different_set_of_classes(Classifier, *classification)


def test_scikit_learns_mlp_classifier_refuses_a_different_set_of_classes_so(classification):
    assert_warm_start_refuses_a_different_set_of_classes(MLPClassifier, *classification)


def test_early_stopping_refuses_a_validation_set_below_two_rows(Estimator, classification):
    X, y = classification
    with pytest.raises(ValueError, match=r"The validation set is too small.*validation_fraction=0.1 of 2 rows"):
        Estimator(early_stopping=True).fit(X[:2], y[:2] if is_classifier(Estimator()) else X[:2, 0])


def test_early_stopping_with_a_single_sample_class_fits_on_a_plain_split(Classifier, classification):
    Est = Classifier
    X, y = classification
    y = y.copy()
    y[0] = 7  # a class of one sample: no stratified split exists
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = Est(early_stopping=True, max_iter=5, random_state=0).fit(X, y)
        MLPClassifier(early_stopping=True, max_iter=5, random_state=0).fit(X, y)  # which fits too
    assert 7 in clf.classes_ and len(clf.validation_scores_) == clf.n_iter_
