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

Training calls the objective thousands of times on batches of one shape. A
caller may pass the same dict as ``buffers`` to every call: the intermediate
arrays (layer outputs, back-propagated gradients, ``dJ/dtheta`` itself) are
then kept in it and overwritten by the next call instead of being allocated
(and page-faulted in) anew at every step. Arrays returned by a call with
``buffers`` are only valid until the next such call.
"""

import numpy as np

from .activations import ACTIVATIONS
from .layers import Dense, Dropout
from .losses import weighted_loss


def _scratch(buffers, name, shape, dtype):
    """An uninitialised array for an intermediate result: new, or the one kept in ``buffers`` for it."""
    if buffers is None:
        return np.empty(shape, dtype)
    key = (name, tuple(shape), np.dtype(dtype))
    if key not in buffers:
        buffers[key] = np.empty(shape, dtype)
    return buffers[key]


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
    input_offset : ndarray of shape (n_features,), default=None
        Where the flat parameters put the origin of the input space: the
        first layer computes ``(X - input_offset) W_1 + c_1`` (see
        :meth:`Dense.forward`). It is the same model with the bias
        ``b_1 = c_1 - input_offset W_1`` (:meth:`to_layers` and
        :meth:`from_layers` convert), but centring the inputs this way makes
        the objective much better conditioned for every solver. The weights and
        the L2 penalty are unchanged, so the optimum is the same.

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

    def __init__(self, layer_sizes, activation="relu", out_activation="identity", dropout=0.0, input_offset=None):
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        self.activation = activation
        self.out_activation = out_activation
        self.dropout = dropout
        self.input_offset = input_offset
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
        """Split a flat vector into per-layer ``(W, b)`` views (no copy)."""
        return [(theta[start:stop].reshape(shape), theta[stop:end]) for start, stop, end, shape in self._blocks]

    def to_layers(self, theta):
        """Per-layer ``(W, b)`` copies with the model's true biases (undoing the input offset)."""
        layers = [(W.copy(), b.copy()) for W, b in self.unpack(theta)]
        if self.input_offset is not None:
            W, b = layers[0]
            b -= (self.input_offset @ W).astype(b.dtype, copy=False)
        return layers

    def from_layers(self, params, dtype=None):
        """A new flat vector from per-layer ``(W, b)`` with true biases (the inverse of :meth:`to_layers`)."""
        theta = self.pack(params, dtype)
        if self.input_offset is not None:
            W, b = self.unpack(theta)[0]
            b += (self.input_offset @ W).astype(b.dtype, copy=False)
        return theta

    def pack(self, params, dtype=None):
        """Concatenate per-layer ``(W, b)`` arrays into a new flat vector (of their dtype unless ``dtype`` is given)."""
        flat = np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])
        return flat if dtype is None else flat.astype(dtype, copy=False)

    def init_params(self, rng, dtype=np.float64):
        """Initial parameters, drawn in float64 from ``rng`` then cast to ``dtype``.

        A network with hidden layers starts from random weights (He for ReLU,
        Glorot otherwise, see :meth:`Dense.init`) so that hidden units differ.
        A network without hidden layers is convex, so it starts from zero: the
        optimum does not depend on the start, and from zero gradient descent
        reaches the minimum-norm solution when the data do not pin it down.
        """
        if len(self.layers) == 1:
            return np.zeros(self.n_params, dtype=dtype)
        params = []
        for k, layer in enumerate(self.layers):
            hidden = k < len(self.layers) - 1
            params.append(layer.init(rng, self.activation if hidden else self.out_activation))
        return self.pack(params, dtype)

    def forward(self, theta, X, rng=None, buffers=None):
        """Raw outputs ``Z`` and the cache that :meth:`backward` needs.

        Parameters
        ----------
        theta : ndarray of shape (n_params,), or list of (W, b)
            The flat parameters, or per-layer arrays with true biases as
            :meth:`to_layers` gives (prediction uses the estimators' fitted
            arrays without packing them).
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        rng : numpy.random.RandomState, default=None
            Source of the dropout masks; without it no dropout is applied
            (prediction mode).
        buffers : dict, default=None
            Arrays reused from call to call (see the module docstring).

        Returns
        -------
        Z : ndarray of shape (n_samples, n_outputs)
        cache : list of (layer input, activation output, dropout mask)
        """
        if isinstance(theta, list):  # true-bias layers, as from to_layers()
            params, offset = theta, None
        else:
            params, offset = self.unpack(theta), self.input_offset
        cache, A_in = [], X
        for k, (W, b) in enumerate(params):
            out = _scratch(buffers, ("Z", k), (X.shape[0], W.shape[1]), np.result_type(A_in.dtype, W.dtype))
            Z = Dense.forward(A_in, W, b, offset if k == 0 else None, out=out)
            if k == len(params) - 1:
                break  # Z is the raw output: the loss applies the output activation
            A = self._act.forward(Z, out=Z)  # Z is not needed again: activate in place
            mask = None
            if self._dropout is not None and rng is not None:
                A_in, mask = self._dropout.forward(A, rng)
            else:
                A_in = A
            cache.append((A, mask))
        return Z, (X, cache)

    def backward(self, theta, cache, dZ, grad, buffers=None):
        """Back-propagate ``dZ = dJ/dZ`` and write ``dJ/dtheta`` (data term) into ``grad``.

        ``buffers`` keeps the back-propagated gradients between calls, as in :meth:`objective`.
        """
        X, hidden = cache
        params, grads = self.unpack(theta), self.unpack(grad)
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
        Dense.backward(X, W, dZ, gW, gb, need_dX=False, offset=self.input_offset)
        return grad

    def l2_penalty(self, theta, weight_decay, grad=None, buffers=None):
        """``(lambda / 2) sum_l ||W_l||_F^2``; adds ``lambda W_l`` to ``grad`` when given. Biases are not decayed.

        ``buffers`` keeps the temporaries ``lambda W_l`` between calls, as in :meth:`objective`.
        """
        if weight_decay == 0:
            return 0.0
        penalty = 0.0
        grads = self.unpack(grad) if grad is not None else [None] * len(self.layers)
        for k, ((W, _), g) in enumerate(zip(self.unpack(theta), grads)):
            w = W.ravel()
            penalty += float(w @ w)
            if g is not None:
                gW = g[0]
                gW += np.multiply(W, W.dtype.type(weight_decay), out=_scratch(buffers, ("decay", k), W.shape, W.dtype))
        return 0.5 * weight_decay * penalty

    def objective(self, theta, X, Y, loss, sample_weight=None, weight_decay=0.0, rng=None, buffers=None):
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

        Returns
        -------
        J : float
        grad : ndarray of shape (n_params,), same dtype as ``theta``
        """
        Z, cache = self.forward(theta, X, rng, buffers)
        J, dZ = weighted_loss(loss, Y, Z, sample_weight)
        grad = self.backward(theta, cache, dZ, _scratch(buffers, "grad", theta.shape, theta.dtype), buffers)
        return J + self.l2_penalty(theta, weight_decay, grad, buffers), grad

    def predict(self, theta, X):
        """Network outputs after the output activation (no dropout)."""
        Z, _ = self.forward(theta, X)
        return ACTIVATIONS[self.out_activation].forward(Z)
