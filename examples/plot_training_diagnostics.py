"""
Vanishing gradients, dead and saturated units: looking inside training
======================================================================

The notes' section on numerical stability explains why a deep network can
stop learning. Back-propagation multiplies the gradient, layer after layer
from the output down, by each layer's weights and by the slope of its
activation, :math:`\\delta_{l-1} = f'(Z_{l-1}) \\odot \\delta_l W_l^\\top`.
The sigmoid's slope is at most 1/4, so through a stack of sigmoid layers the
gradient shrinks geometrically and the first layers barely move (vanishing
gradients); large weights make it grow instead (exploding gradients). A
sigmoid or tanh unit whose input is large sits where its slope is almost
zero (saturated), and a ReLU unit whose input is negative on every row
passes back nothing at all (dead). The scale of the initial weights, and of
the inputs, decides much of it.

With ``diagnostics=True`` an estimator records, per layer and per epoch, the
norm of the gradient of the objective with respect to the layer's weights,
how much each epoch changed the weights, the weights' norm, and the
fractions of dead or saturated units (``diagnostics_``), and
:class:`~sknotes.plotting.TrainingDiagnosticsDisplay` draws them. Here,
deep networks on the digits, trained by mini-batch gradient descent with
momentum, a method whose steps follow the gradient's size.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sknotes import MLPFromScratch
from sknotes.plotting import TrainingDiagnosticsDisplay

X, y = load_digits(return_X_y=True)  # 8 x 8 images, pixels from 0 to 16
X_scaled = X / 16.0
warnings.simplefilter("ignore", ConvergenceWarning)  # 15 epochs, on purpose


def deep_network(activation, init="glorot", depth=6, **params):
    """``depth`` hidden layers of 32 units, trained for 15 epochs with the diagnostics on."""
    settings = dict(solver="sgd", learning_rate=0.05, momentum=0.9, batch_size=64, max_iter=15, random_state=0)
    return MLPFromScratch((32,) * depth, activation, init=init, diagnostics=True, **{**settings, **params})


# %%
# A deep sigmoid network against a deep ReLU network
# ---------------------------------------------------
# The same architecture, the same initialisation scheme (Glorot's, the
# default) and the same steps: only the activation differs. Each line is one
# layer, from layer 1 (the input side, dark) to layer 7 (the output layer,
# light).
sigmoid = deep_network("sigmoid").fit(X_scaled, y)
relu = deep_network("relu").fit(X_scaled, y)

fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), sharex=True, sharey="col", layout="constrained")
for row, model, name in [(0, sigmoid, "sigmoid"), (1, relu, "ReLU")]:
    TrainingDiagnosticsDisplay.from_estimator(model, metrics=["grad_norm", "update_ratio"], ax=axes[row])
    axes[row, 0].set_title(f"{name}: training accuracy {model.score(X_scaled, y):.2f}")
plt.show()

# %%
# In the sigmoid network the gradient reaching layers 2 to 4 is about a
# hundred times smaller than the output layer's, and their weights change by
# a thousandth of their size per epoch: those layers have stopped learning,
# and so has the network, which still guesses after 15 epochs. The ReLU
# network's slope is 1 wherever a unit is active, so every layer gets a
# gradient of the same order, and it learns the digits. (Layer 1's large
# first update, in both, is that of the weights of pixels that are almost
# always blank: training steps in standardised coordinates, where such a
# pixel's tiny spread makes its true weight move a lot.)
#
# Glorot against He
# -----------------
# How gradients fare through the depth is set at the start, by the scale of
# the initial weights. Glorot's bound, :math:`\sqrt{6 / (n_{in} + n_{out})}`,
# keeps the variance of the signal through a layer whose slope is 1 near
# zero; He's, :math:`\sqrt{6 / n_{in}}`, is :math:`\sqrt{2}` larger, which
# makes up for ReLU zeroing half its inputs. Below, each layer's gradient
# norm at the first epoch, for both activations and both schemes.
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
for activation, marker in [("sigmoid", "o"), ("relu", "s")]:
    for init, style in [("glorot", "-"), ("he", "--")]:
        d = deep_network(activation, init=init, max_iter=1).fit(X_scaled, y).diagnostics_
        layers, norms = np.array(d["layer"]), np.array(d["grad_norm"])
        ax.plot(layers, norms, style, marker=marker, label=f"{activation}, {init}")
ax.set_yscale("log")
ax.set_xlabel("layer (1: input side)")
ax.set_ylabel("gradient norm ||dJ/dW|| at epoch 1")
ax.legend()
plt.show()

# %%
# For ReLU both schemes keep the gradient of the same order through all
# seven layers, He's about twice as large. For the sigmoid, He's larger
# weights lift the middle layers' gradients threefold, but they still fall
# by a factor of 40 from the output layer down: whatever the scale of the
# weights, a slope of at most 1/4 shrinks the gradient at every layer.
# (On shallow networks, and on the data sets of
# ``benchmarks/initialisation.py``, Glorot's is as good or better, which is
# why it is sknotes' default.)
#
# Scaled and unscaled inputs
# --------------------------
# Inputs of a large scale make large first-layer inputs :math:`z`: tanh (and
# sigmoid) units saturate, and large gradient steps push ReLU units to
# negative inputs on every row, where they die. To see it, switch off
# sknotes' conditioned coordinates (``conditioning=None``): then the network
# trains on the pixels as given, as in the notes. With the default
# ``conditioning='auto'``, training steps in standardised coordinates, which
# is what scaling the inputs does, without touching ``X``.
cases = [
    ("pixels in [0, 1], conditioning=None", X_scaled, None),
    ("pixels in [0, 16], conditioning=None", X, None),
    ("pixels in [0, 16], conditioning='auto'", X, "auto"),
]
fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=True, sharey=True, layout="constrained")
for row, (activation, metric) in enumerate([("relu", "dead_fraction"), ("tanh", "saturated_fraction")]):
    for column, (title, data, conditioning) in enumerate(cases):
        model = deep_network(activation, depth=3, conditioning=conditioning).fit(data, y)
        display = TrainingDiagnosticsDisplay.from_estimator(model, metrics=[metric], ax=axes[row, column])
        display.ax_.set_title(f"{activation}, {title}\ntraining accuracy {model.score(data, y):.2f}", fontsize=9)
plt.show()

# %%
# On the pixels in [0, 16] without conditioning, most of the ReLU network's
# first-layer units die in the first epoch, more follow, and the network
# learns nothing; the tanh network's first-layer units saturate one after
# the other (the slope below 1% of its largest on 90% of the rows) until
# nearly all of them pass back no gradient. The same pixels scaled to
# [0, 1], or left as they are in conditioned coordinates, keep the units
# alive and responsive.
#
# ``diagnostics_`` is a dict of lists, one entry per epoch and layer:
# ``pandas.DataFrame(model.diagnostics_)`` makes a table of it. The
# diagnostics cost a few percent of an epoch, and change nothing in the fit:
# a model trained with them is bit for bit the one trained without.
