"""Conditioned coordinates: the same model and objective, better conditioned for gradient steps.

A network's first layer sees the raw features ``x`` and its last layer makes
raw outputs ``z``. Training steps behave best when both are of unit scale,
centred and uncorrelated, which raw data rarely are. Instead of copying and
transforming ``X`` (or ``y``), the parameters are *stored* in conditioned
coordinates: with input offset and scale ``mu, s`` (per feature), an
optional input mixing matrix ``M`` (``n_features x n_features``, invertible)
and output offset and scale ``m, t`` (per output),

    first layer:  W = diag(1 / s) M V,                 b = c - mu W,
    last layer:   W = V t    (column k times t_k),     b = c t + m,

(both, for a network with a single layer) so that ``x W + b`` equals
``(((x - mu) / s) M) V + c`` on the input side and ``t (h V + c) + m`` on the
output side. It is a change of variables, not of the model: the objective,
the L2 term on the true ``W`` included, and its minimum are the same. Only
the steps of gradient descent change: in ``(V, c)`` they are those of a
network trained on standardised (with ``M``, whitened) inputs and
standardised targets, whatever the scale and the correlations of the raw
data, and a network started at ``V = 0, c = 0`` predicts the mean.

By the chain rule the gradient with respect to the stored parameters is

    first layer:  dJ/dV = M^T diag(1 / s) (dJ/dW - mu^T dJ/db),    dJ/dc = dJ/db,
    last layer:   dJ/dV = dJ/dW t,                                  dJ/dc = dJ/db t.

The offsets and scales come from the data (:meth:`Standardisation.from_moments`),
and the map is exact and invertible, so parameters, and an optimizer's state,
can be carried from one set of coordinates to another at any time without
changing a prediction (:meth:`sknotes.nn.Network.recoordinate`): the
coordinates can follow the data of ``partial_fit`` from chunk to chunk.
"""

import numpy as np

from ._scratch import scratch as _scratch

#: Inputs are whitened (a full mixing matrix ``M``) for at most this many features: the mixing costs
#: ``n_features^2`` per output and step, which beyond this outweighs what it saves.
MAX_MIXED_FEATURES = 256
#: Eigenvalues of the standardised second-moment matrix below this fraction of the largest are raised to it
#: before whitening: ``M`` stays well within floating-point range however collinear the features.
EIGENVALUE_FLOOR = 1e-6
#: A feature whose variance is at most this fraction of its squared mean (or zero) is constant.
CONSTANT = 1e-24


class Moments:
    """Weighted first and second moments of the rows of a matrix, mergeable across chunks of rows.

    ``weight`` is the rows' total weight, ``mean`` the weighted column
    means and ``m2`` the weighted sum of squared deviations from them: a
    vector (per column) or, with ``full=True`` in the front end, the matrix
    of cross products. Merging two chunks' moments (Chan, Golub and LeVeque,
    1979) gives exactly the moments of their union, so statistics can follow
    the data of ``partial_fit`` call after call.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0], [2.0], [3.0], [6.0]])
    >>> first = Moments(2.0, A[:2].mean(axis=0), ((A[:2] - A[:2].mean()) ** 2).sum(axis=0))
    >>> second = Moments(2.0, A[2:].mean(axis=0), ((A[2:] - A[2:].mean()) ** 2).sum(axis=0))
    >>> both = first.merge(second)
    >>> both.mean, both.variance
    (array([3.]), array([3.5]))
    """

    def __init__(self, weight, mean, m2):
        self.weight, self.mean, self.m2 = float(weight), np.asarray(mean, np.float64), np.asarray(m2, np.float64)

    @property
    def variance(self):
        """Weighted variance of each column (the diagonal of the covariance)."""
        return (np.diagonal(self.m2) if self.m2.ndim == 2 else self.m2) / self.weight

    @property
    def covariance(self):
        """The weighted covariance matrix, or ``None`` when only the variances are kept."""
        return self.m2 / self.weight if self.m2.ndim == 2 else None

    def astuple(self):
        """``(weight, mean, m2)``: plain values, which pickle and load (skops) as they are."""
        return self.weight, self.mean, self.m2

    def merge(self, other):
        """The moments of the rows of both (``self`` first, then ``other``)."""
        if other.weight == 0:
            return self
        weight = self.weight + other.weight
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.weight / weight)
        spread = self.weight * other.weight / weight
        full = self.m2.ndim == 2 and other.m2.ndim == 2
        m2 = (self.m2 if full else _diag(self.m2)) + (other.m2 if full else _diag(other.m2))
        m2 = m2 + spread * (np.outer(delta, delta) if full else np.square(delta))
        return Moments(weight, mean, m2)


def _diag(m2):
    return np.diagonal(m2).copy() if m2.ndim == 2 else m2


class Standardisation:
    """Offsets, scales and mixing of the stored coordinates (``None`` means offset 0, scale 1, no mixing).

    Parameters
    ----------
    input_offset, input_scale : ndarray of shape (n_features,), default=None
        ``mu`` and ``s`` (positive).
    output_offset, output_scale : ndarray of shape (n_outputs,), default=None
        ``m`` and ``t`` (positive).
    input_mixing : ndarray of shape (n_features, n_features), default=None
        ``M`` (invertible).

    Examples
    --------
    >>> import numpy as np
    >>> coords = Standardisation(input_offset=np.array([10.0]), input_scale=np.array([2.0]))
    >>> [(W, b)] = coords.true_layers([(np.array([[4.0]]), np.array([1.0]))])
    >>> W, b  # x W + b = ((x - 10) / 2) 4 + 1
    (array([[2.]]), array([-19.]))
    """

    def __init__(self, input_offset=None, input_scale=None, output_offset=None, output_scale=None, input_mixing=None):
        self.input_offset = input_offset
        self.input_scale = input_scale
        self.output_offset = output_offset
        self.output_scale = output_scale
        self.input_mixing = input_mixing

    @classmethod
    def from_moments(cls, inputs, outputs=None, weight_decay=0.0, dtype=np.float64):
        """The coordinates that standardise (and, given their covariance, whiten) data with these moments.

        Inputs: a feature of variance ``var_j`` is centred at its mean and
        scaled by ``s_j = sqrt(var_j + lambda)``: with the weight decay
        ``lambda`` inside the root, every weight's diagonal curvature is at
        most 1 in these coordinates. A constant feature is not centred (that
        would make it 0 and its weights could never learn, also once later
        rows of ``partial_fit`` vary): it is divided by ``max(|value|, 1)``.
        When ``inputs`` has the full covariance and at
        most :data:`MAX_MIXED_FEATURES` features, the mixing ``M`` whitens
        the standardised features: with ``H = C~ + diag(lambda / s^2)``, the
        curvature of the squared error in standardised coordinates (its
        diagonal is 1) and ``H = Q diag(e) Q^T``, ``M = Q diag(e)^(-1/2)``
        (eigenvalues below :data:`EIGENVALUE_FLOOR` times the largest raised
        to it), so that the squared error's curvature in ``V`` is the identity.

        Outputs (regressors): the target means ``m`` and standard deviations
        ``t`` (1 for a constant target).

        Parameters
        ----------
        inputs : Moments
        outputs : Moments or None
        weight_decay : float
        dtype : data-type
            Of the arrays (the parameters' dtype).

        Returns
        -------
        Standardisation
        """
        var, mean = inputs.variance, inputs.mean
        with np.errstate(over="ignore", invalid="ignore"):  # values near the float64 limit: no scale, not a warning
            constant = ~(var > CONSTANT * np.square(mean))
            offset = np.where(constant, 0.0, mean)
            scale = np.where(constant, np.maximum(np.abs(mean), 1.0), np.sqrt(var + weight_decay))
        scale[(scale == 0) | ~np.isfinite(scale)] = 1.0
        offset[~np.isfinite(offset)] = 0.0
        mixing = None
        cov = inputs.covariance
        if cov is not None and 1 < cov.shape[0] <= MAX_MIXED_FEATURES and np.isfinite(cov).all():
            H = cov / np.outer(scale, scale)
            H[np.diag_indices_from(H)] = (var + weight_decay) / np.square(scale)
            H[constant, :] = H[:, constant] = 0.0
            H[constant, constant] = 1.0  # (its own curvature is at most 1: value^2 / scale^2 <= 1)
            e, Q = np.linalg.eigh(H)
            e = np.maximum(e, EIGENVALUE_FLOOR * e[-1])
            mixing = (Q / np.sqrt(e)).astype(dtype)
        coords = [offset.astype(dtype), scale.astype(dtype)]
        if outputs is None:
            return cls(*coords, input_mixing=mixing)
        with np.errstate(over="ignore", invalid="ignore"):
            t = np.sqrt(outputs.variance)
        t[(t == 0) | ~np.isfinite(t)] = 1.0
        m = np.where(np.isfinite(outputs.mean), outputs.mean, 0.0)
        return cls(*coords, m.astype(dtype), t.astype(dtype), input_mixing=mixing)

    def arrays(self):
        """The constructor's arguments: plain arrays (or ``None``), which pickle and load (skops) as they are."""
        names = ("input_offset", "input_scale", "output_offset", "output_scale", "input_mixing")
        return {name: getattr(self, name) for name in names}

    def conditions(self, inputs, outputs=None, weight_decay=0.0, ratio=2.0):
        """Whether these coordinates still condition data of these moments nearly as well as their own would.

        In these coordinates, the data's curvature (the second moment of the
        standardised, mixed features, the L2 term's included) must lie
        within a factor ``ratio`` of 1: every feature's own, each offset
        within half a scale of the data's mean (the bias stays decoupled),
        and, with a mixing, the largest eigenvalue. The targets' standard
        deviations must stay within ``sqrt(ratio)`` of the output scales and
        their means within half of them. ``partial_fit`` keeps its
        coordinates while this holds, so the same rows seen again never
        change them, and moves to new ones (exactly) when it fails.

        Parameters
        ----------
        inputs : Moments
        outputs : Moments or None
        weight_decay : float
        ratio : float, default=2.0

        Returns
        -------
        bool
        """
        if self.input_scale is None or (outputs is None) != (self.output_scale is None):
            return False
        offset, scale = self.input_offset.astype(np.float64), self.input_scale.astype(np.float64)
        shift = (inputs.mean - offset) / scale
        curvature = (inputs.variance + weight_decay) / np.square(scale) + np.square(shift)
        with np.errstate(invalid="ignore"):
            if not (np.all(np.abs(shift) <= 0.5) and np.all(curvature <= ratio)):
                return False
            varying = inputs.variance > CONSTANT * np.square(inputs.mean)
            if not np.all(curvature[varying] >= 1 / ratio):
                return False
        if self.input_mixing is not None:
            cov = inputs.covariance
            if cov is None:
                return False
            H = cov / np.outer(scale, scale) + np.diag(weight_decay / np.square(scale))
            M = self.input_mixing.astype(np.float64)
            top = np.linalg.eigvalsh(M.T @ H @ M)[-1]
            if not 1 / ratio <= top <= ratio:
                return False
        if outputs is not None:
            t, m = self.output_scale.astype(np.float64), self.output_offset.astype(np.float64)
            spread = np.sqrt(outputs.variance)
            spread[spread == 0] = 1.0
            if not (
                np.all(np.abs(np.log(spread / t)) <= 0.5 * np.log(ratio))
                and np.all(np.abs(outputs.mean - m) <= 0.5 * t)
            ):
                return False
        return True

    def _plan(self, n_layers):
        """``(k, F, t, m, mu, M)`` for each layer stored differently: ``W = (M V) * F``, ``b = c t + m - mu W``.

        ``F`` combines the row factors ``1 / s`` (first layer) and column factors ``t`` (last layer);
        unused parts are ``None``. Computed once per number of layers.
        """
        if getattr(self, "_plans", None) is None:
            self._plans = {}
        if n_layers not in self._plans:
            inputs = self.input_offset is not None or self.input_scale is not None or self.input_mixing is not None
            outputs = self.output_offset is not None or self.output_scale is not None
            plan = {}
            if inputs:
                rows = None if self.input_scale is None else 1.0 / self.input_scale[:, None]
                plan[0] = [rows, None, None, self.input_offset, self.input_mixing]
            if outputs:
                k = n_layers - 1
                F, _, _, mu, M = plan.get(k, [None, None, None, None, None])
                cols = None if self.output_scale is None else self.output_scale[None, :]
                F = cols if F is None else (F if cols is None else F * cols)
                plan[k] = [F, self.output_scale, self.output_offset, mu, M]
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
        for k, F, t, m, mu, M in self._plan(len(params)):
            V, c = params[k]
            W = V
            if M is not None:
                W = np.matmul(M.astype(V.dtype, copy=False), V, out=_scratch(buffers, ("MV", k), V.shape, V.dtype))
            if F is not None:
                W = np.multiply(W, F, out=_scratch(buffers, ("W", k), V.shape, V.dtype))
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
        for k, F, t, m, mu, M in self._plan(len(params)):
            W, b = params[k]
            if mu is not None:
                b += (mu @ W).astype(b.dtype, copy=False)
            if m is not None:
                b -= m.astype(b.dtype, copy=False)
            if t is not None:
                b /= t.astype(b.dtype, copy=False)
            if F is not None:
                W /= F.astype(W.dtype, copy=False)
            if M is not None:
                W = np.linalg.solve(M.astype(np.float64), W.astype(np.float64)).astype(W.dtype)
            params[k] = (W, b)
        return params

    def stored_gradient(self, grads, buffers=None, absolute=False):
        """Turn per-layer gradients with respect to the true ``(W, b)`` into gradients for ``(V, c)``, in place.

        With ``absolute=True``, the map's coefficients are replaced by their
        absolute values: applied to root-mean-square gradients (Adam's and
        RMSProp's second moments), it gives a bound on those of the new
        coordinates (Minkowski's inequality).
        """
        for k, F, t, _, mu, M in self._plan(len(grads)):
            gW, gb = grads[k]
            if mu is not None:
                outer = _scratch(buffers, ("outer", k), gW.shape, gW.dtype)
                np.outer(np.abs(mu) if absolute else mu, gb, out=outer)
                if absolute:
                    gW += outer
                else:
                    gW -= outer
            if F is not None:
                gW *= F
            if M is not None:
                M = np.abs(M) if absolute else M
                np.matmul(M.T.astype(gW.dtype, copy=False), gW.copy(), out=gW)
            if t is not None:
                gb *= t

    def true_gradient(self, grads, absolute=False):
        """The inverse of :meth:`stored_gradient`: gradients for ``(V, c)`` to the true ``(W, b)``, in place."""
        for k, F, t, _, mu, M in self._plan(len(grads)):
            gW, gb = grads[k]
            if t is not None:
                gb /= t
            if M is not None:
                inverse = np.linalg.inv(M.astype(np.float64))
                gW[...] = (np.abs(inverse) if absolute else inverse).T @ gW
            if F is not None:
                gW /= F
            if mu is not None:
                gW += np.outer(np.abs(mu) if absolute else mu, gb)
