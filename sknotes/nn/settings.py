"""What the core's parts declare for the estimators that use them: settings with their allowed values.

An optimizer's hyperparameters (momentum, Adam's decay rates) and a loss's
parameters (Huber's delta) are estimator parameters of the same names. Each
part declares them here, once, with their allowed values and a line of
description: the estimators build their parameter validation and their
documentation from these declarations, so adding a part never means writing
its settings out again elsewhere. Their defaults are the estimators'
constructors' (scikit-learn's one source of them), not declared here.
"""

from typing import NamedTuple


class Setting(NamedTuple):
    """A setting a part of the core takes from the estimator parameter of the same name.

    ``kind`` is 'real', 'int' or 'bool'. A number lies between ``low`` and ``high``
    (``None``: unbounded), each end included or not as ``closed`` says
    ('left', 'right', 'both' or 'neither', as scikit-learn's ``Interval``).
    ``doc`` describes it in the estimators' docstrings.

    Examples
    --------
    >>> Setting("Momentum.", low=0.0, high=1.0, closed="left").closed
    'left'
    """

    doc: str
    kind: str = "real"
    low: float = None
    high: float = None
    closed: str = "both"


#: A rate of decay of a running mean, in [0, 1).
DECAY = dict(low=0.0, high=1.0, closed="left")
#: A positive quantity, in (0, inf).
POSITIVE = dict(low=0.0, closed="neither")
