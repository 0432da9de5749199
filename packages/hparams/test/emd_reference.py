"""Reference optimal-transport costs for packages/hparams/src/tools/emd.test.ts, solved by scipy's HiGHS LP.

Run: python3 packages/hparams/test/emd_reference.py > packages/hparams/test/fixtures/emd-scipy.json
Cases: seeded random histograms (some with zero bins, some integer counts) and Euclidean or random ground costs,
sizes up to 12 x 15. Writes each case's inputs and the LP's optimal work (sum f_ij c_ij) and distance.
"""
import json
import sys

import numpy as np
from scipy.optimize import linprog


def solve(a, b, c):
    m, n = c.shape
    a_eq = np.zeros((m + n, m * n))
    for i in range(m):
        a_eq[i, i * n:(i + 1) * n] = 1.0
    for j in range(n):
        a_eq[m + j, j::n] = 1.0
    res = linprog(c.ravel(), A_eq=a_eq, b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


def main():
    rng = np.random.default_rng(20200226)
    cases = []
    for t in range(12):
        m = int(rng.integers(1, 13))
        n = int(rng.integers(1, 16))
        if t % 3 == 0:
            a = rng.integers(0, 6, m).astype(float)
            b = rng.integers(0, 6, n).astype(float)
            a[0] += 1
            b[-1] += 1
            # equal integer totals: pad the smaller side's first bin
            d = a.sum() - b.sum()
            if d > 0:
                b[0] += d
            else:
                a[0] -= d
        else:
            a = rng.random(m) * (rng.random(m) > 0.2)
            b = rng.random(n) * (rng.random(n) > 0.2)
            a[0] += 0.1
            b[0] += 0.1
            a /= a.sum()
            b /= b.sum()
        if t % 2 == 0:
            dim = int(rng.integers(1, 5))
            xa = rng.normal(size=(m, dim))
            xb = rng.normal(size=(n, dim)) + 0.5
            c = np.sqrt(((xa[:, None, :] - xb[None, :, :]) ** 2).sum(-1))
        else:
            c = rng.random((m, n)) * 10
        work = solve(a, b, c)
        cases.append({"m": m, "n": n, "wA": a.tolist(), "wB": b.tolist(), "cost": c.ravel().tolist(),
                      "work": work, "distance": work / a.sum()})
    json.dump({"generator": "packages/hparams/test/emd_reference.py (scipy.optimize.linprog, HiGHS)",
               "cases": cases}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
