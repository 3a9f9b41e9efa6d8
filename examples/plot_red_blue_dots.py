"""
Red and blue dots: why a hidden layer matters
==============================================

The notes' workshop separates red and blue dots that no straight line can
split. A softmax classifier has no hidden layer, so its decision boundary is
a line; an MLP bends the boundary with hidden layers of ReLU units. Both
are the same network and training loop in sknotes, differing only in
``hidden_layer_sizes``.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import MLPFromScratch, SoftmaxClassifier

X, y = make_moons(n_samples=400, noise=0.2, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

models = {
    "SoftmaxClassifier (no hidden layer)": SoftmaxClassifier(random_state=0),
    "MLPFromScratch (two hidden layers of 32)": MLPFromScratch(
        (32, 32), learning_rate=0.01, max_iter=500, random_state=0
    ),
}

# %%
# Fit both in a MinMaxScaler pipeline and draw their decision boundaries.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    pipe = make_pipeline(MinMaxScaler(), model).fit(X_train, y_train)
    DecisionBoundaryDisplay.from_estimator(pipe, X, response_method="predict_proba", cmap="RdBu", alpha=0.6, ax=ax)
    ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="RdBu", edgecolors="k", s=20)
    ax.set_title(f"{name}\ntest accuracy {pipe.score(X_test, y_test):.2f}")
fig.tight_layout()
plt.show()
