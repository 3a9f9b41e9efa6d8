"""Layers: the fully connected layer and inverted dropout.

Layers hold no parameters themselves: the network passes them views into
one flat parameter vector, so an optimizer or L-BFGS can treat all the
weights as a single array. Everything works on whole mini-batches: ``X`` is
``(n_samples, n_in)``, dense or a SciPy sparse matrix for the first layer.
"""

import numpy as np


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

    def init(self, rng, activation):
        """Draw initial float64 weights for a layer followed by ``activation``.

        He initialisation for ReLU, ``U(-sqrt(6 / n_in), sqrt(6 / n_in))``;
        Glorot initialisation otherwise,
        ``U(-sqrt(6 / (n_in + n_out)), sqrt(6 / (n_in + n_out)))``. Biases
        start at zero.

        Parameters
        ----------
        rng : numpy.random.RandomState or numpy.random.Generator
            The source of randomness (``uniform(low, high, size)``).
        activation : str
            Name of the activation applied to this layer's output.

        Returns
        -------
        W : ndarray of shape (n_in, n_out)
        b : ndarray of shape (n_out,)
        """
        fan = self.n_in if activation == "relu" else self.n_in + self.n_out
        bound = np.sqrt(6.0 / fan)
        W = rng.uniform(-bound, bound, size=(self.n_in, self.n_out))
        return W, np.zeros(self.n_out)

    @staticmethod
    def forward(X, W, b, offset=None, out=None):
        """Return ``X @ W + b``, or ``(X - offset) @ W + b`` with an input offset; shape (n_samples, n_out).

        The offset (a vector of feature means) centres the inputs without
        copying ``X``: ``(X - mu) W + b = X W + (b - mu W)``. Centred inputs
        make the objective far better conditioned when the features are all
        positive, as after a ``MinMaxScaler``. ``out`` (dense ``X`` only)
        receives the result instead of a new array.
        """
        Z = np.matmul(X, W, out=out) if isinstance(X, np.ndarray) else X @ W
        Z += b if offset is None else b - offset @ W
        return Z

    @staticmethod
    def backward(X, W, dZ, gW, gb, need_dX=True, offset=None, out=None):
        """Back-propagate ``dZ`` through the layer.

        Writes ``dJ/dW = (X - offset)^T dZ`` into ``gW`` and
        ``dJ/db = sum_i dZ_i`` into ``gb`` (in place) and returns
        ``dJ/dX = dZ W^T``, in ``out`` when given (or ``None`` when ``need_dX``
        is false, as for the first layer).
        """
        if isinstance(X, np.ndarray):
            np.matmul(X.T, dZ, out=gW)  # straight into the gradient vector, no temporary
        else:  # SciPy sparse input: the product is computed by SciPy
            gW[...] = X.T @ dZ
        np.matmul(np.ones(len(dZ), dZ.dtype), dZ, out=gb)  # sum_i dZ_i: a BLAS product beats np.sum over rows
        if offset is not None:
            gW -= np.outer(offset, gb)  # (X - mu)^T dZ = X^T dZ - mu^T sum_i dZ_i
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
