"""
Scaling out: a grid search on a Dask cluster
============================================

scikit-learn runs the fits of :class:`~sklearn.model_selection.GridSearchCV`
and :func:`~sklearn.model_selection.cross_validate` through joblib. Inside
``joblib.parallel_config(backend="dask")`` joblib hands them to the workers
of a `Dask <https://distributed.dask.org>`_ cluster instead of local
processes, and the search collects the results as usual. The sknotes
estimators need nothing special: they pickle with their training state, and
a seeded search gives the same results on the cluster as on one core.

This example starts a small cluster on this machine, runs the same search
with and without it, and shows how to point the same code at a cluster that
is already running elsewhere. It needs the ``dask`` extra
(``pip install -e ".[dask]"``).
"""

# %%
# Start a cluster
# ---------------
# Two workers with one thread each, talking TCP on the loopback interface only
# (as a remote cluster would over the network), without the diagnostic
# dashboard. (``processes=False`` keeps the workers
# in this process, which starts in a fraction of a second; with
# ``processes=True`` each worker is its own process, as on a real cluster,
# and a script must then guard its code with ``if __name__ == "__main__":``.)
import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import SoftmaxClassifier

cluster = LocalCluster(
    n_workers=2, processes=False, threads_per_worker=1, protocol="tcp", host="127.0.0.1", dashboard_address=None
)
client = Client(cluster)
print(client)

# %%
# A cluster somewhere else
# ------------------------
# To use a cluster that is already running -- started with ``dask scheduler``
# on one machine and ``dask worker tcp://scheduler-address:8786`` on the
# others, or by a deployment such as dask-jobqueue or dask-kubernetes --
# connect to its scheduler instead of starting a ``LocalCluster``::
#
#     client = Client("tcp://scheduler-address:8786")
#
# Everything below stays the same. The workers need the same packages
# (sknotes, scikit-learn, NumPy) installed, in compatible versions.

# %%
# The same search, on one core and on the cluster
# -----------------------------------------------
# The learning rate and weight decay of a softmax regression on the digits,
# 3-fold cross-validated: 18 fits. Every source of randomness is seeded (the
# folds, the initialisation and the shuffling of the mini-batches), so where
# a fit runs does not change its result.
X, y = load_digits(return_X_y=True)
pipe = make_pipeline(MinMaxScaler(), SoftmaxClassifier(tol=1e-3, random_state=0))
grid = {"softmaxclassifier__learning_rate": [0.03, 0.1, 0.3], "softmaxclassifier__weight_decay": [1e-4, 1e-2]}
cv = StratifiedKFold(3, shuffle=True, random_state=0)

tic = time.perf_counter()
sequential = GridSearchCV(pipe, grid, cv=cv).fit(X, y)
print(f"one core:    {time.perf_counter() - tic:.2f} s")

tic = time.perf_counter()
with joblib.parallel_config(backend="dask"):
    on_cluster = GridSearchCV(pipe, grid, cv=cv, n_jobs=-1).fit(X, y)
print(f"the cluster: {time.perf_counter() - tic:.2f} s")

difference = np.abs(on_cluster.cv_results_["mean_test_score"] - sequential.cv_results_["mean_test_score"]).max()
print(f"best parameters {on_cluster.best_params_}, accuracy {on_cluster.best_score_:.4f}")
print(f"largest difference of the mean CV scores from the sequential search: {difference}")

# %%
# On two local workers the search takes about as long as on one core: the
# fits are small, and the workers share this machine. The cluster pays off
# when the fits are large or there are many of them, and the workers are
# other machines.
#
# The mean CV accuracy over the grid:
scores = on_cluster.cv_results_["mean_test_score"].reshape(len(grid["softmaxclassifier__learning_rate"]), -1)
fig, ax = plt.subplots(figsize=(5, 3.5))
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(scores.shape[1]), [f"{value:g}" for value in grid["softmaxclassifier__weight_decay"]])
ax.set_yticks(range(scores.shape[0]), [f"{value:g}" for value in grid["softmaxclassifier__learning_rate"]])
ax.set_xlabel("weight_decay")
ax.set_ylabel("learning_rate")
for (i, j), score in np.ndenumerate(scores):
    ax.text(j, i, f"{score:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, ax=ax, label="mean CV accuracy")
ax.set_title("GridSearchCV on a Dask cluster")
fig.tight_layout()
plt.show()

# %%
# Close the cluster
# -----------------
# Out-of-core training -- ``partial_fit`` over chunks of a data set that does
# not fit in memory, with ``dask_ml.wrappers.Incremental`` on such a cluster
# or with a plain loop over a memory-mapped file -- is described in the
# "Scaling out with Dask" page of the documentation, and measured by
# ``benchmarks/out_of_core.py``.
client.close()
cluster.close()
