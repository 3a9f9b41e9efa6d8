"""Layers: the fully connected layer and inverted dropout.

Layers hold no parameters themselves: the network passes them views into
one flat parameter vector, so an optimizer or L-BFGS can treat all the
weights as a single array. Everything works on whole mini-batches: ``X`` is
``(n_samples, n_in)``, dense or a SciPy sparse matrix for the first layer.
"""

import numpy as np

#: Weight initialisations by name: the squared bound of ``U(-bound, bound)`` from the fan-in, the fan-out and
#: the activation's factor (see :meth:`Dense.init`).
INITIALISATIONS = {
    "glorot": lambda n_in, n_out, factor: factor / (n_in + n_out),
    "he": lambda n_in, n_out, factor: 6.0 / n_in,
}


class Dense:
    """Fully connected layer ``Z = X W + b`` with ``W`` of shape (n_in, n_out).

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and outputs.
    """

    def __init__(self, n_in, n_out):
        self.n_in = n_in
        self.n_out = n_out

    @property
    def n_params(self):
        """Number of parameters: ``n_in * n_out`` weights and ``n_out`` biases."""
        return (self.n_in + 1) * self.n_out

    def init(self, rng, scheme="glorot", factor=6.0):
        """Draw initial float64 weights ``W ~ U(-bound, bound)``; biases start at zero.

        ``'glorot'`` (Glorot & Bengio, 2010; scikit-learn's scaling):
        ``bound = sqrt(factor / (n_in + n_out))``, where the activation that
        follows the layer gives ``factor`` (6, or 2 for the sigmoid, see
        :data:`~sknotes.nn.activations.ACTIVATIONS`). ``'he'`` (He et al.,
        2015, for ReLU): ``bound = sqrt(6 / n_in)``.

        Parameters
        ----------
        rng : numpy.random.RandomState or numpy.random.Generator
            The source of randomness (``uniform(low, high, size)``).
        scheme : {'glorot', 'he'}, default='glorot'
        factor : float, default=6.0
            Glorot's numerator, from the activation applied to this layer's output.

        Returns
        -------
        W : ndarray of shape (n_in, n_out)
        b : ndarray of shape (n_out,)
        """
        bound = np.sqrt(INITIALISATIONS[scheme](self.n_in, self.n_out, factor))
        W = rng.uniform(-bound, bound, size=(self.n_in, self.n_out))
        return W, np.zeros(self.n_out)

    @staticmethod
    def forward(X, W, b, out=None):
        """Return ``X @ W + b``, shape (n_samples, n_out); ``out`` (dense ``X`` only) receives it, not a new array."""
        Z = np.matmul(X, W, out=out) if isinstance(X, np.ndarray) else X @ W
        Z += b
        return Z

    @staticmethod
    def backward(X, W, dZ, gW, gb, need_dX=True, out=None):
        """Back-propagate ``dZ`` through the layer.

        Writes ``dJ/dW = X^T dZ`` into ``gW`` and ``dJ/db = sum_i dZ_i`` into
        ``gb`` (in place) and returns ``dJ/dX = dZ W^T``, in ``out`` when given
        (or ``None`` when ``need_dX`` is false, as for the first layer).
        """
        if isinstance(X, np.ndarray):
            np.matmul(X.T, dZ, out=gW)  # straight into the gradient vector, no temporary
        else:  # SciPy sparse input: the product is computed by SciPy
            gW[...] = X.T @ dZ
        np.matmul(np.ones(len(dZ), dZ.dtype), dZ, out=gb)  # sum_i dZ_i: a BLAS product beats np.sum over rows
        return np.matmul(dZ, W.T, out=out) if need_dX else None


class Dropout:
    """Inverted dropout: zero each unit with probability ``rate``, scale survivors by ``1 / (1 - rate)``.

    The expected activation is unchanged, so nothing needs rescaling at
    prediction time, where dropout is simply not applied.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of dropping a unit.
    """

    def __init__(self, rate):
        self.rate = rate

    def forward(self, A, rng):
        """Return the dropped-out activations and the mask used (for :meth:`backward`)."""
        keep = 1.0 - self.rate
        mask = (rng.uniform(size=A.shape) < keep).astype(A.dtype)
        mask /= A.dtype.type(keep)
        return A * mask, mask

    @staticmethod
    def backward(dA, mask):
        """Gradient through the dropout: units that were dropped get no gradient."""
        return dA * mask
