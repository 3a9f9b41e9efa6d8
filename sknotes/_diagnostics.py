"""Training diagnostics: what each layer does, epoch by epoch (``diagnostics=True``).

The notes' section on numerical stability explains why deep networks can stop
learning: gradients shrink (or grow) geometrically through the layers, sigmoid
and tanh units saturate where their slope is nearly zero, ReLU units die when
their input is negative on every row, and the scale of the initial weights
decides much of it. :class:`TrainingDiagnostics` measures these per layer and
per epoch while the one training loop (``sknotes._training.train``) runs:
it wraps the objective the loop calls on each mini-batch and the loop's
end-of-epoch hook, and reads the hidden activations through the ``observe``
argument of :meth:`sknotes.nn.Network.objective`. No training code is copied,
and nothing is computed when diagnostics are off.

Every number describes the model's true weights ``W_l`` (``coefs_[l - 1]``,
or ``coef_``), also when training steps in conditioned coordinates
(:mod:`sknotes.nn.coordinates`): gradients are carried back to the true
weights by ``Standardisation.true_gradient`` (:mod:`sknotes.nn.coordinates`),
and, for the regressors, scaled back from ``J / unit`` to ``J``, as
``loss_curve_`` is.
"""

import numpy as np
import scipy.linalg.blas

#: The columns of ``diagnostics_``, in order (see :class:`TrainingDiagnostics`).
COLUMNS = ("epoch", "layer", "grad_norm", "update_ratio", "weight_norm", "dead_fraction", "saturated_fraction")
#: A sigmoid or tanh unit is saturated on a row when its slope ``f'(z)`` is below this fraction of its largest
#: value ``f'(0)``: ``|z| > 5.99`` for the sigmoid, ``|z| > 2.99`` for tanh.
SATURATION_SLOPE = 0.01
#: ... and saturated in an epoch when it is so on at least this fraction of the epoch's rows.
SATURATION_ROWS = 0.9
#: Where the slope of each saturating activation is largest (the centre of its range) and half that range:
#: ``f'(z) / f'(0) = 1 - ((a - centre) / half_range)^2`` for both.
_SATURATING = {"sigmoid": (0.5, 0.5), "tanh": (0.0, 1.0)}


def _norm(A):
    """The Frobenius norm of ``A``, summed in float64 (a float32 array's too)."""
    flat = np.asarray(A).ravel()
    return float(np.sqrt(np.dot(flat.astype(np.float64, copy=False), flat.astype(np.float64, copy=False))))


class TrainingDiagnostics:
    """Per-layer, per-epoch diagnostics of one call to ``fit`` or ``partial_fit``.

    For every epoch (L-BFGS iteration) and every layer ``l = 1 .. L`` (the
    weights ``W_l``, whose outputs are the units of layer ``l``), one row of
    :data:`COLUMNS`:

    - ``grad_norm``: ``||dJ/dW_l||_F``, the gradient of the objective ``J``
      (weight decay included) with respect to the true weights, averaged over
      the epoch's mini-batches with the weights ``loss_curve_`` uses (rows,
      or sample weights); on full batches it is the gradient at the
      parameters the epoch started from. For 'lbfgs', the gradient at the
      iteration's new parameters.
    - ``update_ratio``: ``||W_l(end) - W_l(start)||_F / ||W_l(end)||_F``, how
      much the epoch changed the weights relative to their size (NaN while
      they are zero).
    - ``weight_norm``: ``||W_l||_F`` at the end of the epoch.
    - ``dead_fraction`` (ReLU hidden layers; NaN elsewhere): the fraction of
      the layer's units that were zero on every row of the epoch's batches.
    - ``saturated_fraction`` (sigmoid and tanh hidden layers; NaN
      elsewhere): the fraction of units whose slope ``f'(z)`` was below
      :data:`SATURATION_SLOPE` (1%) of its largest value on at least
      :data:`SATURATION_ROWS` (90%) of the epoch's rows: ``|z| > 5.99`` for
      the sigmoid, ``|z| > 2.99`` for tanh. A saturated unit passes back
      almost no gradient, to its weights and to the layers below.

    Activity is read before dropout. For 'lbfgs', the dead and saturated
    units are those of the full-batch evaluation at the iteration's
    parameters.

    Parameters
    ----------
    network : sknotes.nn.Network
        The network being trained.
    theta : ndarray of shape (n_params,)
        The parameters training starts from (in the network's coordinates).
    unit : float, default=1.0
        Training minimises ``J / unit`` (the regressors' unit): gradients are
        multiplied by it.
    per_evaluation : bool, default=False
        True for 'lbfgs': an iteration's statistics are those of the last
        objective evaluation at its parameters (re-evaluated if the line
        search ended elsewhere), not sums over mini-batches.

    Examples
    --------
    >>> import numpy as np
    >>> from sknotes.nn import Network, LOSSES
    >>> from sknotes._diagnostics import TrainingDiagnostics
    >>> rng = np.random.RandomState(0)
    >>> net = Network([3, 4, 1], activation="relu")
    >>> theta = net.init_params(rng)
    >>> X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    >>> diagnostics = TrainingDiagnostics(net, theta)
    >>> objective = diagnostics.wrap(lambda: net.objective)()
    >>> J, grad = objective(theta, X, Y, loss=LOSSES["squared_error"].function)
    >>> diagnostics.end_epoch(1, theta)
    >>> records = diagnostics.history()
    >>> records["layer"], records["update_ratio"]
    ([1, 2], [0.0, 0.0])
    >>> bool(np.isclose(records["grad_norm"][0], np.linalg.norm(grad[:12])))  # W_1: the first 3 x 4 numbers
    True
    """

    def __init__(self, network, theta, unit=1.0, per_evaluation=False):
        self.network, self.unit, self.per_evaluation = network, float(unit), per_evaluation
        self.records = {column: [] for column in COLUMNS}
        self._start = [W.astype(np.float64) for W, _ in network.to_layers(theta)]
        self._n_hidden = len(network.layers) - 1
        self._kind = (
            "dead" if network.activation == "relu" else "saturated" if network.activation in _SATURATING else None
        )
        centre, half_range = _SATURATING.get(network.activation, (0.0, 1.0))
        self._centre, self._bound = centre, half_range * np.sqrt(1.0 - SATURATION_SLOPE)  # |a - centre| > bound
        self._last = None  # (objective, theta, X, Y, sample_weight) of the last evaluation, for 'lbfgs'
        self._reset()

    def _reset(self):
        """Start the sums of a new epoch (or, for 'lbfgs', of a new evaluation)."""
        self._gradient = None  # the sum of the batches' gradients times their weights, in the parameters' dtype
        self._weight = 0.0
        self._rows = 0
        # per hidden unit: whether it was ever active (ReLU), or on how many rows it was saturated (sigmoid, tanh)
        self._counts = [None] * self._n_hidden

    def _observe(self, k, A):
        """``observe`` for :meth:`~sknotes.nn.Network.forward`: which units are active, or how often saturated."""
        if self._kind == "dead":  # a unit is active if its largest output is positive (ReLU outputs are >= 0)
            counts = A.max(axis=0) > 0
            self._counts[k] = counts if self._counts[k] is None else np.logical_or(self._counts[k], counts)
            return
        counts = (np.abs(A - self._centre if self._centre else A) > self._bound).sum(axis=0)
        self._counts[k] = counts if self._counts[k] is None else self._counts[k] + counts

    def wrap(self, objective_for):
        """``objective_for`` with each objective it returns watched (the front end's objective factory).

        Parameters
        ----------
        objective_for : callable
            ``objective_for(*args) -> objective``, an objective as
            ``train`` takes it, that accepts
            ``observe`` (:meth:`sknotes.nn.Network.objective`).

        Returns
        -------
        callable
        """

        def watched_for(*args, **kwargs):
            objective = objective_for(*args, **kwargs)

            def watched(theta, X, Y, sample_weight=None, rng=None, **kwargs):
                if self.per_evaluation:
                    self._reset()
                    self._last = (objective, theta.copy(), X, Y, sample_weight)
                observe = None if self._kind is None else self._observe  # (no hidden layer, or identity units)
                J, grad = objective(theta, X, Y, sample_weight=sample_weight, rng=rng, observe=observe, **kwargs)
                weight = float(X.shape[0] if sample_weight is None else sample_weight.sum())
                # grad is read, never written (training steps with it): added into the sum by BLAS, in its dtype
                if self._gradient is None or self._gradient.dtype != grad.dtype:
                    self._gradient = np.zeros(grad.shape, grad.dtype)
                    self._axpy = scipy.linalg.blas.get_blas_funcs("axpy", (self._gradient,))  # y <- a x + y
                self._gradient = self._axpy(grad, self._gradient, a=weight)  # (in place: the same array)
                self._weight += weight
                self._rows += X.shape[0]
                return J, grad

            return watched

        return watched_for

    def epoch_hook(self, on_epoch_end=None):
        """An ``on_epoch_end(state, theta)`` for ``train``: records, then calls the one given."""

        def hook(state, theta):
            self.end_epoch(state.n_iter, theta)
            return on_epoch_end is not None and on_epoch_end(state, theta)

        return hook

    def end_epoch(self, epoch, theta):
        """Record the rows of ``epoch``, which ended at the parameters ``theta``, and start the next epoch's sums."""
        if self.per_evaluation and self._last is not None and not np.array_equal(self._last[1], theta):
            objective, _, X, Y, sample_weight = self._last  # the line search ended elsewhere: evaluate here
            self.wrap(lambda: objective)()(theta, X, Y, sample_weight=sample_weight)
        layers = self.network.to_layers(theta)
        gradient = np.full(self.network.n_params, np.nan)
        if self._weight > 0:
            gradient = self._gradient.astype(np.float64) * (self.unit / self._weight)
        grads = self.network.unpack(gradient)
        if self.network.coordinates is not None:
            self.network.coordinates.true_gradient(grads)
        for k, ((W, _), (gW, _)) in enumerate(zip(layers, grads)):
            W = W.astype(np.float64)
            weight_norm = _norm(W)
            dead = saturated = np.nan
            if k < self._n_hidden and self._counts[k] is not None:
                if self._kind == "dead":
                    dead = float(np.mean(~self._counts[k]))
                else:
                    saturated = float(np.mean(self._counts[k] >= SATURATION_ROWS * self._rows))
            row = (
                epoch,
                k + 1,
                _norm(gW),
                _norm(W - self._start[k]) / weight_norm if weight_norm > 0 else np.nan,
                weight_norm,
                dead,
                saturated,
            )
            for column, value in zip(COLUMNS, row):
                self.records[column].append(value)
            self._start[k] = W
        self._reset()

    def history(self, previous=None, n_epochs=None):
        """The records as a dict of lists (one per column of :data:`COLUMNS`), after ``previous`` ones.

        Parameters
        ----------
        previous : dict of lists or None
            The records of the calls before (``partial_fit``, ``warm_start``),
            put first.
        n_epochs : int or None
            Keep the rows of epochs up to this one only (an interrupted epoch
            whose parameters were not kept).

        Returns
        -------
        dict of str to list
            Takes ``pandas.DataFrame(...)`` as it is.
        """
        epochs = self.records["epoch"]
        keep = len(epochs) if n_epochs is None else sum(epoch <= n_epochs for epoch in epochs)
        return {
            column: list((previous or {}).get(column, [])) + values[:keep] for column, values in self.records.items()
        }
