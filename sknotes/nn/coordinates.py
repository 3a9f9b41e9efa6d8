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

    def _ends(self, n_layers):
        """``(k, first, last)`` for the layers whose coordinates differ from the true ones."""
        inputs = self.input_offset is not None or self.input_scale is not None
        outputs = self.output_offset is not None or self.output_scale is not None
        ends = {0: inputs} if inputs else {}
        if outputs:
            ends[n_layers - 1] = True
        return [(k, k == 0 and inputs, k == n_layers - 1 and outputs) for k in sorted(ends)]

    def true_layers(self, params, buffers=None):
        """Per-layer true ``(W, b)`` from stored ``(V, c)``: new arrays for the layers that differ, views otherwise.

        ``buffers`` (a dict) keeps those arrays from call to call, as
        :meth:`sknotes.nn.Network.objective` does.
        """
        params = list(params)
        for k, first, last in self._ends(len(params)):
            V, c = params[k]
            W = _scratch(buffers, ("W", k), V.shape, V.dtype)
            b = _scratch(buffers, ("b", k), c.shape, c.dtype)
            W[...], b[...] = V, c
            if last:
                self._scale(W, b, self.output_scale, self.output_offset, multiply=True)
            if first:
                if self.input_scale is not None:
                    W /= self.input_scale[:, None]
                if self.input_offset is not None:
                    b -= self.input_offset @ W
            params[k] = (W, b)
        return params

    def stored_layers(self, params):
        """Per-layer stored ``(V, c)`` copies from true ``(W, b)`` (the inverse of :meth:`true_layers`)."""
        params = [(np.array(W), np.array(b)) for W, b in params]
        for k, first, last in self._ends(len(params)):
            V, c = params[k]
            if first:
                if self.input_offset is not None:
                    c += (self.input_offset @ V).astype(c.dtype, copy=False)  # V still holds W here
                if self.input_scale is not None:
                    V *= self.input_scale[:, None].astype(V.dtype, copy=False)
            if last:
                if self.output_offset is not None:
                    c -= self.output_offset.astype(c.dtype, copy=False)
                self._scale(V, c, self.output_scale, None, multiply=False)
        return params

    def stored_gradient(self, grads, buffers=None):
        """Turn per-layer gradients with respect to the true ``(W, b)`` into gradients for ``(V, c)``, in place.

        A layer's ``gb`` of ``None`` stands for zero (the L2 term, which has no
        bias part).
        """
        for k, first, last in self._ends(len(grads)):
            gW, gb = grads[k]
            if first:
                if self.input_offset is not None and gb is not None:
                    gW -= np.outer(self.input_offset, gb, out=_scratch(buffers, ("outer", k), gW.shape, gW.dtype))
                if self.input_scale is not None:
                    gW /= self.input_scale[:, None]
            if last:
                self._scale(gW, gb, self.output_scale, None, multiply=True)

    @staticmethod
    def _scale(W, b, scale, offset, multiply):
        """Columns of ``W`` and entries of ``b`` times (or over) ``scale``, then ``b`` plus ``offset``; in place."""
        if scale is not None:
            op = np.multiply if multiply else np.divide
            op(W, scale[None, :].astype(W.dtype, copy=False), out=W)
            if b is not None:
                op(b, scale.astype(b.dtype, copy=False), out=b)
        if offset is not None and b is not None:
            b += offset.astype(b.dtype, copy=False)
