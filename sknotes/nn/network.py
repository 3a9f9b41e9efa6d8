"""A feed-forward network: a stack of Dense layers with activations.

The network is the recurrence of the notes,

    A_0 = X,    A_l = f(A_{l-1} W_l + b_l)  (hidden layers),    Z = A_{L-1} W_L + b_L,

where the raw output ``Z`` goes to a loss that is fused with the output
activation (see :mod:`sknotes.nn.losses`). With no hidden layer it is a linear
model: linear regression, or softmax/logistic regression.

All parameters live in one flat vector ``theta``; :meth:`Network.unpack`
returns per-layer ``(W, b)`` views into it. The objective is

    J(theta) = sum_i s_i l(y_i, z_i) / sum_i s_i + (lambda / 2) sum_l ||W_l||_F^2,

and :meth:`Network.objective` returns ``J`` and ``dJ/dtheta`` by
back-propagation (the chain rule, layer by layer, from the output down).

The flat vector may hold the first and last layers in standardised
coordinates (:mod:`sknotes.nn.coordinates`): the same model and objective,
with gradient steps that see centred, unit-scale inputs and outputs.

Training calls the objective thousands of times on batches of one shape. A
caller may pass the same dict as ``buffers`` to every call: the intermediate
arrays (layer outputs, back-propagated gradients, ``dJ/dtheta`` itself) are
then kept in it and overwritten by the next call instead of being allocated
(and page-faulted in) anew at every step. Arrays returned by a call with
``buffers`` are only valid until the next such call.
"""

import numpy as np

from ._scratch import scratch as _scratch
from .activations import ACTIVATIONS
from .layers import Dense, Dropout
from .losses import weighted_loss


class Network:
    """Stack of Dense layers: hidden ones share one activation, the last one is linear.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, *hidden_layer_sizes, n_outputs)``.
    activation : str, default="relu"
        Hidden-layer activation, a key of :data:`~sknotes.nn.activations.ACTIVATIONS`.
    out_activation : str, default="identity"
        Activation turning raw outputs into predictions (``"identity"``,
        ``"sigmoid"`` or ``"softmax"``); the loss is fused with it, so it is only
        applied by :meth:`predict`.
    dropout : float, default=0.0
        Inverted-dropout rate on hidden-layer outputs, applied only when a
        random generator is passed to :meth:`forward`.
    coordinates : Standardisation, default=None
        How the flat parameters store the first and last layers
        (:class:`~sknotes.nn.coordinates.Standardisation`); ``None`` stores
        the true weights and biases.

    Examples
    --------
    >>> import numpy as np
    >>> from sknotes.nn import Network, LOSSES, check_gradient
    >>> rng = np.random.RandomState(0)
    >>> net = Network([3, 5, 2], activation="tanh", out_activation="softmax")
    >>> theta = net.init_params(rng)
    >>> X, Y = rng.normal(size=(4, 3)), np.eye(2)[[0, 1, 1, 0]]
    >>> J, grad = net.objective(theta, X, Y, LOSSES["categorical_crossentropy"].function,
    ...                         weight_decay=0.1)
    >>> theta.shape == grad.shape == (net.n_params,)
    True
    >>> check_gradient(lambda t: net.objective(t, X, Y, LOSSES["categorical_crossentropy"].function,
    ...                                        weight_decay=0.1), theta) < 1e-6
    True
    """

    def __init__(self, layer_sizes, activation="relu", out_activation="identity", dropout=0.0, coordinates=None):
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        self.activation = activation
        self.out_activation = out_activation
        self.dropout = dropout
        self.coordinates = coordinates
        self.layers = [Dense(n_in, n_out) for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:])]
        self._act = ACTIVATIONS[activation]
        # where each layer's W (start:stop, row-major) and b (stop:end) sit in the flat vector
        self._blocks, start = [], 0
        for layer in self.layers:
            stop = start + layer.n_in * layer.n_out
            self._blocks.append((start, stop, stop + layer.n_out, (layer.n_in, layer.n_out)))
            start = stop + layer.n_out
        self._dropout = Dropout(dropout) if dropout > 0 else None

    @property
    def n_params(self):
        """Total number of parameters (weights and biases)."""
        return sum(layer.n_params for layer in self.layers)

    def unpack(self, theta):
        """Split a flat vector into per-layer ``(W, b)`` views, as stored (no copy)."""
        return [(theta[start:stop].reshape(shape), theta[stop:end]) for start, stop, end, shape in self._blocks]

    def _true_layers(self, theta, buffers=None):
        """Per-layer true ``(W, b)`` of the flat parameters (views where they are stored as they are)."""
        params = self.unpack(theta)
        return params if self.coordinates is None else self.coordinates.true_layers(params, buffers)

    def to_layers(self, theta):
        """Per-layer ``(W, b)`` copies of the model's true weights and biases."""
        return [(np.array(W), np.array(b)) for W, b in self._true_layers(theta)]

    def from_layers(self, params, dtype=None):
        """A new flat vector from per-layer true ``(W, b)`` (the inverse of :meth:`to_layers`)."""
        return self.pack(params if self.coordinates is None else self.coordinates.stored_layers(params), dtype)

    def recoordinate(self, theta, network, optimizer=None, gradient_scale=1.0):
        """``theta`` re-expressed in the coordinates of ``network`` (same layer sizes), the optimizer's state too.

        The true weights and biases, so every prediction, are unchanged. The
        optimizer's state moves with them as each optimizer declares in
        ``STATE_KINDS``: a point (like the parameters) exactly; a step (a
        difference of points, like a velocity) by the map's linear part,
        exactly; a gradient by the chain rule, times ``gradient_scale`` (the
        ratio of the objectives' units when those change too), exactly; a
        squared gradient (a running mean of squares) through its root and the
        map's absolute coefficients, a bound on it; a remembered objective
        value is forgotten (it was taken on other coordinates' data).

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        network : Network
            The same layers in other coordinates.
        optimizer : object, default=None
            Updated in place.
        gradient_scale : float, default=1.0

        Returns
        -------
        ndarray of shape (n_params,)
        """

        def point(value):
            return network.from_layers(self.to_layers(value), dtype=value.dtype)

        def gradient(value, absolute=False):
            flat = np.array(value, dtype=np.float64)
            if self.coordinates is not None:
                self.coordinates.true_gradient(self.unpack(flat), absolute=absolute)
            if network.coordinates is not None:
                network.coordinates.stored_gradient(network.unpack(flat), absolute=absolute)
            return flat * gradient_scale

        moved = point(theta)
        for name, kind in getattr(optimizer, "STATE_KINDS", {}).items():
            value = getattr(optimizer, name)
            if value is None:
                continue
            if kind == "loss":
                new = None
            elif kind == "point":
                new = point(value)
            elif kind == "step":
                new = (point(theta + value) - moved).astype(value.dtype)
            elif kind == "gradient":
                new = gradient(value).astype(value.dtype)
            else:  # "squared_gradient"
                new = np.square(gradient(np.sqrt(value), absolute=True)).astype(value.dtype)
            setattr(optimizer, name, new)
        return moved

    def pack(self, params, dtype=None):
        """Concatenate per-layer ``(W, b)`` arrays into a new flat vector (of their dtype unless ``dtype`` is given)."""
        flat = np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])
        return flat if dtype is None else flat.astype(dtype, copy=False)

    def init_params(self, rng, dtype=np.float64, init="glorot"):
        """Initial parameters, drawn in float64 from ``rng`` then cast to ``dtype``.

        A network with hidden layers starts from random weights (``init``:
        'glorot' or 'he', see :meth:`Dense.init`) so that hidden units differ;
        they are drawn in the stored coordinates, that is for standardised
        inputs and outputs when the network has them. A network without hidden
        layers is convex, so it starts from zero (which predicts the mean in
        standardised coordinates): the optimum does not depend on the start,
        and from zero gradient descent reaches the minimum-norm solution when
        the data do not pin it down.
        """
        if len(self.layers) == 1:
            return np.zeros(self.n_params, dtype=dtype)
        params = []
        for k, layer in enumerate(self.layers):
            following = self.activation if k < len(self.layers) - 1 else self.out_activation
            params.append(layer.init(rng, init, ACTIVATIONS[following].init_factor))
        return self.pack(params, dtype)

    def forward(self, theta, X, rng=None, buffers=None, observe=None):
        """Raw outputs ``Z`` and the cache that :meth:`backward` needs.

        Parameters
        ----------
        theta : ndarray of shape (n_params,), or list of (W, b)
            The flat parameters, or per-layer true weights and biases as
            :meth:`to_layers` gives (prediction uses the estimators' fitted
            arrays without packing them).
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        rng : numpy.random.RandomState, default=None
            Source of the dropout masks; without it no dropout is applied
            (prediction mode).
        buffers : dict, default=None
            Arrays reused from call to call (see the module docstring).
        observe : callable, default=None
            ``observe(k, A)`` is called with each hidden layer's activations
            ``A`` (before dropout; ``k = 0`` for the first) as they are
            computed; it must not modify ``A`` (training diagnostics,
            :mod:`sknotes._diagnostics`).

        Returns
        -------
        Z : ndarray of shape (n_samples, n_outputs)
        cache : tuple
            The input, the hidden layers' (activation output, dropout mask)
            pairs, and the true per-layer ``(W, b)``.
        """
        params = theta if isinstance(theta, list) else self._true_layers(theta, buffers)  # a list: from to_layers()
        cache, A_in = [], X
        for k, (W, b) in enumerate(params):
            out = _scratch(buffers, ("Z", k), (X.shape[0], W.shape[1]), np.result_type(A_in.dtype, W.dtype))
            Z = Dense.forward(A_in, W, b, out=out)
            if k == len(params) - 1:
                break  # Z is the raw output: the loss applies the output activation
            A = self._act.forward(Z, out=Z)  # Z is not needed again: activate in place
            if observe is not None:
                observe(k, A)
            mask = None
            if self._dropout is not None and rng is not None:
                A_in, mask = self._dropout.forward(A, rng)
            else:
                A_in = A
            cache.append((A, mask))
        return Z, (X, cache, params)

    def backward(self, cache, dZ, grad, buffers=None, weight_decay=0.0):
        """Back-propagate ``dZ = dJ/dZ`` and write ``dJ/dtheta`` into ``grad``.

        The data term's gradient by the chain rule, layer by layer from the
        output down, plus the L2 term's ``lambda W_l`` when ``weight_decay``
        is given; both with respect to the true weights, then (one more step
        of the chain rule) to the stored coordinates. ``buffers`` keeps the
        back-propagated gradients between calls, as in :meth:`objective`.
        """
        X, hidden, params = cache
        grads = self.unpack(grad)
        inputs = [X] + [A if mask is None else A * mask for A, mask in hidden]
        for k in range(len(params) - 1, 0, -1):  # from the output layer down to the second
            (W, _), (gW, gb) = params[k], grads[k]
            out = _scratch(buffers, ("dA", k), (dZ.shape[0], W.shape[0]), dZ.dtype)
            dA = Dense.backward(inputs[k], W, dZ, gW, gb, out=out)
            A, mask = hidden[k - 1]
            if mask is not None:
                dA = Dropout.backward(dA, mask)
            dZ = self._act.backward(A, dA, out=dA)  # dA is a temporary of this loop
        (W, _), (gW, gb) = params[0], grads[0]  # the first layer: no gradient with respect to the data
        Dense.backward(X, W, dZ, gW, gb, need_dX=False)
        if weight_decay:
            for k, ((W, _), (gW, _)) in enumerate(zip(params, grads)):  # + lambda W_l (biases are not decayed)
                gW += np.multiply(W, W.dtype.type(weight_decay), out=_scratch(buffers, ("decay", k), W.shape, W.dtype))
        if self.coordinates is not None:
            self.coordinates.stored_gradient(grads, buffers)
        return grad

    @staticmethod
    def _penalty(params, weight_decay):
        """``(lambda / 2) sum_l ||W_l||_F^2`` of per-layer true ``(W, b)``."""
        return 0.5 * weight_decay * sum(float(W.ravel() @ W.ravel()) for W, _ in params) if weight_decay else 0.0

    def l2_penalty(self, theta, weight_decay):
        """``(lambda / 2) sum_l ||W_l||_F^2`` on the true weights, biases not decayed (gradient: :meth:`backward`)."""
        return self._penalty(self._true_layers(theta), weight_decay)

    def objective(self, theta, X, Y, loss, sample_weight=None, weight_decay=0.0, rng=None, buffers=None, observe=None):
        """The objective ``J(theta)`` on a batch and its gradient.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
        loss : callable
            A loss from :data:`~sknotes.nn.losses.LOSSES` (parameters bound).
        sample_weight : ndarray of shape (n_samples,), default=None
        weight_decay : float, default=0.0
            The L2 coefficient ``lambda``.
        rng : numpy.random.RandomState, default=None
            Dropout masks come from it; ``None`` disables dropout.
        buffers : dict, default=None
            Arrays reused from call to call (see the module docstring); the
            returned ``grad`` is then one of them.
        observe : callable, default=None
            Sees each hidden layer's activations (see :meth:`forward`).

        Returns
        -------
        J : float
        grad : ndarray of shape (n_params,), same dtype as ``theta``
        """
        Z, cache = self.forward(theta, X, rng, buffers, observe)
        J, dZ = weighted_loss(loss, Y, Z, sample_weight)
        grad = self.backward(cache, dZ, _scratch(buffers, "grad", theta.shape, theta.dtype), buffers, weight_decay)
        return J + self._penalty(cache[2], weight_decay), grad

    def predict(self, theta, X):
        """Network outputs after the output activation (no dropout)."""
        Z, _ = self.forward(theta, X)
        return ACTIVATIONS[self.out_activation].forward(Z)
