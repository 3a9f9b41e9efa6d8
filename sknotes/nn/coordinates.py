"""Standardised coordinates: the same model and objective, better conditioned for gradient steps.

A network's first layer sees the raw features ``x`` and its last layer makes
raw outputs ``z``. Training steps behave best when both are of unit scale and
centred, which raw data rarely are. Instead of copying and rescaling ``X``
(or ``y``), the parameters are *stored* in standardised coordinates: with
input offset and scale ``mu, s`` (per feature) and output offset and scale
``m, t`` (per output),

    first layer:  W = V / s  (row j divided by s_j),      b = c - mu W,
    last layer:   W = V t    (column k multiplied by t_k), b = c t + m,

(both, for a network with a single layer) so that ``x W + b`` equals
``((x - mu) / s) V + c`` on the input side and ``t (h V + c) + m`` on the
output side. It is a change of variables, not of the model: the objective,
the L2 term on the true ``W`` included, and its minimum are the same. Only
the steps of gradient descent change: in ``(V, c)`` they are those of a
network trained on standardised inputs and targets, whatever the scale of
the raw data, and a network started at ``V = 0, c = 0`` predicts the mean.

By the chain rule the gradient with respect to the stored parameters is

    first layer:  dJ/dV = (dJ/dW - mu^T dJ/db) / s,         dJ/dc = dJ/db,
    last layer:   dJ/dV = dJ/dW t,                          dJ/dc = dJ/db t.
"""

import numpy as np

from ._scratch import scratch as _scratch


class Standardisation:
    """Offsets and scales of the stored coordinates (``None`` means offset 0, scale 1).

    Parameters
    ----------
    input_offset, input_scale : ndarray of shape (n_features,), default=None
        ``mu`` and ``s`` (positive).
    output_offset, output_scale : ndarray of shape (n_outputs,), default=None
        ``m`` and ``t`` (positive).

    Examples
    --------
    >>> import numpy as np
    >>> coords = Standardisation(input_offset=np.array([10.0]), input_scale=np.array([2.0]))
    >>> [(W, b)] = coords.true_layers([(np.array([[4.0]]), np.array([1.0]))])
    >>> W, b  # x W + b = ((x - 10) / 2) 4 + 1
    (array([[2.]]), array([-19.]))
    """

    def __init__(self, input_offset=None, input_scale=None, output_offset=None, output_scale=None):
        self.input_offset = input_offset
        self.input_scale = input_scale
        self.output_offset = output_offset
        self.output_scale = output_scale

    def _plan(self, n_layers):
        """``(k, F, t, m, mu)`` for each layer stored differently: ``W = V * F``, ``b = c t + m - mu W``.

        ``F`` combines the row factors ``1 / s`` (first layer) and column factors ``t`` (last layer);
        unused parts are ``None``. Computed once per number of layers.
        """
        if getattr(self, "_plans", None) is None:
            self._plans = {}
        if n_layers not in self._plans:
            inputs = self.input_offset is not None or self.input_scale is not None
            outputs = self.output_offset is not None or self.output_scale is not None
            plan = {}
            if inputs:
                rows = None if self.input_scale is None else 1.0 / self.input_scale[:, None]
                plan[0] = [rows, None, None, self.input_offset]
            if outputs:
                k = n_layers - 1
                F, _, _, mu = plan.get(k, [None, None, None, None])
                cols = None if self.output_scale is None else self.output_scale[None, :]
                F = cols if F is None else (F if cols is None else F * cols)
                plan[k] = [F, self.output_scale, self.output_offset, mu]
            self._plans[n_layers] = [(k, *plan[k]) for k in sorted(plan)]
        return self._plans[n_layers]

    def __getstate__(self):
        return {**self.__dict__, "_plans": None}  # derived arrays, rebuilt on use

    def true_layers(self, params, buffers=None):
        """Per-layer true ``(W, b)`` from stored ``(V, c)``: new arrays for the layers that differ, views otherwise.

        ``buffers`` (a dict) keeps those arrays from call to call, as
        :meth:`sknotes.nn.Network.objective` does.
        """
        params = list(params)
        for k, F, t, m, mu in self._plan(len(params)):
            V, c = params[k]
            W = V if F is None else np.multiply(V, F, out=_scratch(buffers, ("W", k), V.shape, V.dtype))
            b = c
            if t is not None or m is not None:
                b = np.multiply(c, 1 if t is None else t, out=_scratch(buffers, ("b", k), c.shape, c.dtype))
                if m is not None:
                    b += m
            if mu is not None:
                b = np.subtract(b, mu @ W, out=_scratch(buffers, ("b", k), c.shape, c.dtype))
            params[k] = (W, b)
        return params

    def stored_layers(self, params):
        """Per-layer stored ``(V, c)`` copies from true ``(W, b)`` (the inverse of :meth:`true_layers`)."""
        params = [(np.array(W), np.array(b)) for W, b in params]
        for k, F, t, m, mu in self._plan(len(params)):
            W, b = params[k]
            if mu is not None:
                b += (mu @ W).astype(b.dtype, copy=False)
            if m is not None:
                b -= m.astype(b.dtype, copy=False)
            if t is not None:
                b /= t.astype(b.dtype, copy=False)
            if F is not None:
                W /= F.astype(W.dtype, copy=False)
        return params

    def stored_gradient(self, grads, buffers=None):
        """Turn per-layer gradients with respect to the true ``(W, b)`` into gradients for ``(V, c)``, in place."""
        for k, F, t, _, mu in self._plan(len(grads)):
            gW, gb = grads[k]
            if mu is not None:
                gW -= np.outer(mu, gb, out=_scratch(buffers, ("outer", k), gW.shape, gW.dtype))
            if F is not None:
                gW *= F
            if t is not None:
                gb *= t
