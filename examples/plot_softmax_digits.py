"""
Softmax regression on the digits
================================

Softmax regression gives every class :math:`k` a score
:math:`o_k = x \\cdot w_k + b_k` and turns the scores into probabilities,
:math:`\\hat y_k = \\exp(o_k) / \\sum_j \\exp(o_j)`. Trained on the
cross-entropy, whose gradient with respect to the scores is simply
:math:`\\hat y - y`, it is the notes' linear classifier for any number of
classes: :class:`~sknotes.SoftmaxClassifier`.

On 8x8 images of handwritten digits each :math:`w_k` has one weight per
pixel, so it can be looked at as an image itself.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import SoftmaxClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(MinMaxScaler(), SoftmaxClassifier(learning_rate=0.1, weight_decay=1e-3, random_state=0))
model.fit(X_train, y_train)
softmax = model[-1]
print(f"test accuracy {model.score(X_test, y_test):.3f} after {softmax.n_iter_} epochs")
print("coef_ shape:", softmax.coef_.shape, "(one row of 64 pixel weights per class)")

# %%
# The probabilities of one test image
# -----------------------------------
# Each row of ``predict_proba`` sums to one; the prediction is the largest.
proba = model.predict_proba(X_test[:1])[0]
print("probabilities:", " ".join(f"{k}:{p:.2f}" for k, p in enumerate(proba)))
print("predicted", model.predict(X_test[:1])[0], "true", y_test[0])

# %%
# What each class's weights look for
# ----------------------------------
# Red pixels push the score of that digit up, blue ones down: ink where the
# digit has none counts against it.
fig, axes = plt.subplots(2, 5, figsize=(9, 4))
limit = abs(softmax.coef_).max()
for k, ax in enumerate(axes.ravel()):
    ax.imshow(softmax.coef_[k].reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"w for {softmax.classes_[k]}")
    ax.set_axis_off()
fig.suptitle("SoftmaxClassifier.coef_, one 8x8 weight image per class")
plt.show()

# %%
# Which digits it confuses
# ------------------------
ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, colorbar=False)
plt.title("Test set: true digit (rows) against predicted (columns)")
plt.show()
