"""Glue between the training loop and scikit-learn's experimental callback API.

scikit-learn 1.9 added :mod:`sklearn.callback`: an estimator that inherits
:class:`~sklearn.callback.CallbackSupportMixin` gets ``set_callbacks``, and
callbacks such as :class:`~sklearn.callback.ProgressBar` are told when each
fit task begins and ends. For sknotes one call to ``fit`` (or
``partial_fit``) is the root task and every epoch (L-BFGS iteration) is one
of its subtasks, so a progress bar advances epoch by epoch and any callback
may stop training by returning True from ``on_fit_task_end``.

With an older scikit-learn, :data:`CallbackSupportMixin` is an empty class
(the estimators then have no ``set_callbacks``) and :class:`FitCallbacks`
does nothing.
"""

import copy

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callback API

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin where ``sklearn.callback`` does not exist."""


class FitCallbacks:
    """The callback contexts of one call to ``fit`` or ``partial_fit``.

    Created at the start of the call, before the estimator is changed, so
    that the estimator's snapshot (restored if the call fails) still holds the
    context that scikit-learn tears down. Inactive, and free, when the
    estimator has no callbacks or scikit-learn has no callback API.

    Parameters
    ----------
    estimator : estimator instance
        The sknotes estimator being fitted.
    X, y, sample_weight
        The data of the call, as given (passed on to the callbacks).
    max_epochs : int
        Most epochs (L-BFGS iterations) this call can run: the root task's
        number of subtasks.
    """

    def __init__(self, estimator, X, y, sample_weight, max_epochs):
        self._estimator = estimator
        self._root = self._epoch = None
        if not getattr(estimator, "_skl_callbacks", None) or not hasattr(estimator, "_init_callback_context"):
            return
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._data = {"X": X, "y": y, "metadata": metadata}
        self._max_epochs = max_epochs
        self._root = estimator._init_callback_context(max_subtasks=max_epochs)
        self._root.call_on_fit_task_begin(estimator=estimator, **self._data)

    @property
    def active(self):
        """Whether any callback listens."""
        return self._root is not None

    def epoch_hook(self, network, theta):
        """The ``on_epoch_end(state, theta) -> stop`` function for :func:`sknotes._training.train`, or None.

        Parameters
        ----------
        network : sknotes.nn.Network
            The network being trained (to turn ``theta`` into fitted attributes).
        theta : ndarray of shape (n_params,)
            The starting parameters (the state at the start of the first epoch).
        """
        if not self.active:
            return None
        self._network, self._n_epochs = network, 0
        self._begin_epoch(theta, None)

        def on_epoch_end(state, theta):
            stop = self._epoch.call_on_fit_task_end(
                estimator=self._estimator,
                **self._data,
                reconstruction_attributes=lambda: self._fitted_attributes(theta, state),
            )
            self._epoch = None
            self._n_epochs += 1
            if not stop and self._n_epochs < self._max_epochs:
                self._begin_epoch(theta, state)
            return bool(stop)

        return on_epoch_end

    def end(self):
        """End the fit task (and an epoch that began but never ran, when training stopped early)."""
        if not self.active:
            return
        if self._epoch is not None:
            self._epoch.call_on_fit_task_end(estimator=self._estimator)
            self._epoch = None
        self._root.call_on_fit_task_end(estimator=self._estimator, **self._data, reconstruction_attributes={})

    def _begin_epoch(self, theta, state):
        self._epoch = self._root.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(
            estimator=self._estimator,
            **self._data,
            reconstruction_attributes=lambda: self._fitted_attributes(theta, state),
        )

    def _fitted_attributes(self, theta, state):
        """The public fitted attributes of the estimator as if training stopped at ``theta``."""
        scratch = copy.copy(self._estimator)
        scratch._store_parameters(self._network, theta)
        attributes = {name: value for name, value in vars(scratch).items() if name.endswith("_")}
        if state is not None:
            attributes.update(n_iter_=state.n_iter, loss_curve_=list(state.loss_curve))
        return attributes
