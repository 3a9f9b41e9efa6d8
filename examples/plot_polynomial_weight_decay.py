"""
Polynomial curve fitting: overfitting and weight decay
======================================================

A polynomial of high degree has enough freedom to pass close to every
training point, noise included: its training error is small and its error on
new points large. That is overfitting. Weight decay adds
:math:`\\frac{\\lambda}{2} \\lVert w \\rVert^2` to the objective, so each
gradient step first shrinks the weights, :math:`w \\leftarrow (1 - \\eta
\\lambda) w - \\eta \\nabla_w \\text{loss}`, and large wiggly coefficients no
longer pay.

The model is linear regression on polynomial features,
:class:`~sknotes.LinearRegressorGD` after
:class:`~sklearn.preprocessing.PolynomialFeatures` and a
:class:`~sklearn.preprocessing.MinMaxScaler`.
"""

# %%
# Twenty noisy points from a sine
# -------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import PredefinedSplit, ValidationCurveDisplay
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures

from sknotes import LinearRegressorGD

rng = np.random.RandomState(0)
x_train = np.sort(rng.uniform(0, 1, size=20))
y_train = np.sin(2 * np.pi * x_train) + rng.normal(scale=0.25, size=20)
x_test = rng.uniform(0, 1, size=200)
y_test = np.sin(2 * np.pi * x_test) + rng.normal(scale=0.25, size=200)


def polynomial(weight_decay, degree=12):
    """Degree-12 polynomial regression minimised to high precision by L-BFGS."""
    model = LinearRegressorGD(weight_decay=weight_decay, solver="lbfgs", tol=1e-10, max_iter=20000)
    return make_pipeline(PolynomialFeatures(degree, include_bias=False), MinMaxScaler(), model)


# %%
# Without and with weight decay
# -----------------------------
# Mean squared errors on the 20 training points and on 200 new ones.
grid = np.linspace(0, 1, 300)[:, None]
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.scatter(x_train, y_train, color="k", zorder=3, label="training points")
ax.plot(grid, np.sin(2 * np.pi * grid), "k:", label="the sine")
for weight_decay in [0.0, 1e-4]:
    model = polynomial(weight_decay).fit(x_train[:, None], y_train)
    train_mse = np.mean((model.predict(x_train[:, None]) - y_train) ** 2)
    test_mse = np.mean((model.predict(x_test[:, None]) - y_test) ** 2)
    print(f"weight_decay={weight_decay:g}: training MSE {train_mse:.3f}, test MSE {test_mse:.3f}")
    ax.plot(grid, model.predict(grid), label=f"weight_decay={weight_decay:g} (test MSE {test_mse:.2f})")
ax.set_ylim(-2, 2)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("Degree-12 polynomial fitted to 20 points")
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %%
# Training against validation error
# ---------------------------------
# The same fit over a range of weight decays, each scored on its 20 training
# points and on the 200 new ones (a single predefined split, so that no
# training point is ever held out). On the left the polynomial overfits: low
# training error, high validation error. On the right it is too stiff to
# follow the sine and underfits: both errors are high.
X_all = np.concatenate([x_train, x_test])[:, None]
y_all = np.concatenate([y_train, y_test])
train_then_validate = PredefinedSplit(np.r_[np.full(20, -1), np.zeros(200)])
display = ValidationCurveDisplay.from_estimator(
    polynomial(0.0),
    X_all,
    y_all,
    param_name="linearregressorgd__weight_decay",
    param_range=np.logspace(-8, 0, 9),
    cv=train_then_validate,
    scoring="neg_mean_squared_error",
    negate_score=True,
    score_name="mean squared error",
)
display.ax_.set_xscale("log")
display.ax_.set_yscale("log")
display.ax_.set_xlabel("weight_decay")
display.ax_.legend(["training (20 points)", "validation (200 new points)"])
display.ax_.set_title("Too little weight decay overfits, too much underfits")
display.figure_.tight_layout()
plt.show()
