"""fitcli's general-form logistic regression against scikit-learn's, measured in one run.

    python benchmarks/logistic_vs_sklearn.py [N]

For the overlapping sample (data/linear_tanh.csv) and a generated sample of N points
(default 200000): the fitted (w1, w2, w0) of `fitcli linear-tanh --activation sigmoid
--loss cross-entropy --form general` and of LogisticRegression(C=inf), their largest
relative difference, both log-losses, and the time of each (best of 3) with the ratio.
Needs scikit-learn (pip install '.[test]').
"""

from __future__ import annotations

import pathlib
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from fitcli.core import fit
from fitcli.core.models import MODELS
from fitcli.core.synth import synthesize
from fitcli.io.csv_in import read_table

ROOT = pathlib.Path(__file__).resolve().parent.parent
OPTIONS = dict(activation="sigmoid", loss_function="cross-entropy", form="general")


def best_of(runs, f):
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return min(times), out


def compare(label, x, y, l):
    X = np.column_stack([x, y])
    t_ours, ours = best_of(3, lambda: fit("linear-tanh", (x, y, l), **OPTIONS))
    clf = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100000)
    t_theirs, clf = best_of(3, lambda: clf.fit(X, l))
    theirs = np.r_[clf.coef_[0], clf.intercept_]
    rel = np.max(np.abs(ours.params - theirs) / np.abs(theirs))
    print(f"{label}: n = {len(x)}")
    print(f"  fitcli  w = {np.array2string(ours.params, precision=10)}  log-loss {ours.cost:.12g}"
          f"  {ours.n_iter} iterations, {t_ours * 1e3:.1f} ms")
    print(f"  sklearn w = {np.array2string(theirs, precision=10)}  log-loss "
          f"{log_loss(l, clf.predict_proba(X)[:, 1]):.12g}  {t_theirs * 1e3:.1f} ms")
    w1, w2, w0 = ours.params
    print(f"  line y = {-w1 / w2:.10g} x + {-w0 / w2:.10g};  sklearn's y = "
          f"{-theirs[0] / theirs[1]:.10g} x + {-theirs[2] / theirs[1]:.10g}")
    print(f"  largest relative difference in w: {rel:.2e};  time sklearn / fitcli: "
          f"{t_theirs / t_ours:.2f}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    model = MODELS["linear-tanh"]
    table = read_table(str(ROOT / "data" / "linear_tanh.csv"), model.columns, model=model.name)
    compare("data/linear_tanh.csv", *model.split(table.values)[0])
    sample = synthesize("linear-tanh", seed=11, n=n, noise=1.0, scale=1000.0)
    compare("synth linear-tanh --noise 1 --scale 1000", *sample.table.T)


if __name__ == "__main__":
    main()
