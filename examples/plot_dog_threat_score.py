"""
The dog's threat score and its threshold
========================================

The notes open with a dog that meets an object and must decide whether to
run away. It looks at two features, the object's hardness and sharpness,
scales each to [0, 1] (min-max normalisation), and computes a threat score

.. math:: y = \\sigma(w_0 x_0 + w_1 x_1 + b),

a weighted sum squashed by the sigmoid. Above a threshold :math:`\\delta` it
runs. The weights come from training; the threshold is a separate decision
about which mistake is worse.

In sknotes the threat score is :class:`~sknotes.MLPFromScratch` with no
hidden layer: a single sigmoid output unit trained on the cross-entropy
(logistic regression). scikit-learn's
:class:`~sklearn.model_selection.FixedThresholdClassifier` sets
:math:`\\delta` by hand and
:class:`~sklearn.model_selection.TunedThresholdClassifierCV` picks it by
cross-validation for a given score.
"""

# %%
# Objects the dog has met
# -----------------------
# Hardness on a 1-10 scale and sharpness in millimetres of edge: different
# units, which the MinMaxScaler maps to [0, 1] as in the notes. Hard, sharp
# objects tend to be threats, with some noise.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import confusion_matrix, make_scorer, recall_score
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import MLPFromScratch

rng = np.random.RandomState(0)
hardness = rng.uniform(1, 10, size=1000)
sharpness = rng.uniform(0, 30, size=1000)
logit = 12 * (0.5 * (hardness - 1) / 9 + 0.5 * sharpness / 30 - 0.6)
threat = rng.uniform(size=1000) < 1 / (1 + np.exp(-logit))
X = np.column_stack([hardness, sharpness])
X_train, X_test, y_train, y_test = train_test_split(X, threat, stratify=threat, random_state=0)

# %%
# The threat score: a sigmoid of a weighted sum
# ---------------------------------------------
# ``hidden_layer_sizes=()`` leaves the network with its output layer only.
score = make_pipeline(MinMaxScaler(), MLPFromScratch(hidden_layer_sizes=(), solver="lbfgs")).fit(X_train, y_train)
(W,), (b,) = score[-1].coefs_, score[-1].intercepts_
print(f"y = sigmoid({W[0, 0]:.2f} x0 + {W[1, 0]:.2f} x1 + {b[0]:.2f}), output {score[-1].out_activation_!r}")

# %%
# Three dogs, three thresholds
# ----------------------------
# ``predict`` runs when the score exceeds 0.5. A nervous dog runs at 0.2.
# A third dog counts a missed threat as ten times as bad as running from
# something harmless, and lets cross-validation find the threshold with the
# smallest cost. If the score is a calibrated probability ``p``, running
# pays off once ``10 p > 1 - p``, that is above ``p = 1/11``: the tuned
# threshold should land near 0.09.
nervous = FixedThresholdClassifier(score, threshold=0.2, response_method="predict_proba").fit(X_train, y_train)


def minus_cost(y_true, y_pred):
    """Minus the dog's cost: 10 per missed threat, 1 per needless run."""
    (_, needless), (missed, _) = confusion_matrix(y_true, y_pred)
    return -(10 * missed + needless)


tuned = TunedThresholdClassifierCV(score, scoring=make_scorer(minus_cost), cv=5).fit(X_train, y_train)
dogs = {"calm": (score, 0.5), "nervous": (nervous, 0.2), "tuned": (tuned, tuned.best_threshold_)}
for name, (dog, threshold) in dogs.items():
    predicted = dog.predict(X_test)
    print(
        f"{name:8} threshold {threshold:.2f}: runs from {predicted.mean():4.0%} of the objects, "
        f"{recall_score(y_test, predicted):4.0%} of the threats; cost {-minus_cost(y_test, predicted)}"
    )

# %%
# In feature space each threshold is a straight line
# ---------------------------------------------------
# The model is linear inside the sigmoid, so ``score = delta`` is the line
# ``w0 x0 + w1 x1 + b = logit(delta)``: lowering the threshold moves the line
# towards the harmless objects, and the dog runs more often.
xx, yy = np.meshgrid(np.linspace(1, 10, 200), np.linspace(0, 30, 200))
proba = score.predict_proba(np.column_stack([xx.ravel(), yy.ravel()]))[:, 1].reshape(xx.shape)
fig, ax = plt.subplots(figsize=(7, 5))
ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="coolwarm", edgecolors="k", s=25)
for color, (name, (_, threshold)) in zip(["tab:green", "tab:orange", "black"], dogs.items()):
    contour = ax.contour(xx, yy, proba, levels=[threshold], colors=color)
    ax.clabel(contour, fmt=lambda level, name=name: f"{name}: {level:.2f}")
ax.set_xlabel("hardness (1-10)")
ax.set_ylabel("sharpness (mm)")
ax.set_title("Test objects (red: threats) and where each dog starts running")
plt.show()
