#!/usr/bin/python3
"""Fixtures for @ft/mahalanobis-ad: GaussianAD (Ledoit-Wolf / OAS / empirical per level, Mahalanobis scores summed
over levels) against scikit-learn on fixed data.

Run with the Debian Python that has scikit-learn:
    /usr/bin/python3 scripts/ledoit-wolf-ad-fixtures.py
Writes packages/mahalanobis-ad/src/fixtures/ledoit-wolf-ad.json (data included, so the JS test needs no NumPy RNG).

Reference (paper code ORippler/gaussian-ad-mvtec, src/gaussian/model.py): per level, mean = X.mean(0),
precision = LedoitWolf().fit(X).precision_, M = sqrt((x - mean)^T P (x - mean)); image score = sum over levels.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.covariance import OAS, EmpiricalCovariance, LedoitWolf

rng = np.random.default_rng(20200527)


def correlated(n, d, scale):
    a = rng.normal(size=(d, d)) * scale
    cov = a @ a.T / d + np.diag(rng.uniform(0.05, 0.5, size=d))
    return rng.multivariate_normal(rng.normal(size=d), cov, size=n)


# Three "levels": well-conditioned (n > d), small n (d close to n), and d > n (needs shrinkage).
levels = {
    "a": correlated(60, 6, 1.0),
    "b": correlated(60, 20, 2.0),
    "c": correlated(30, 40, 0.7),
}
test = {k: correlated(15, v.shape[1], 1.0) + 0.3 for k, v in levels.items()}

out = {
    "generator": "scripts/ledoit-wolf-ad-fixtures.py",
    "sklearn": sklearn.__version__,
    "numpy": np.__version__,
    "train": {k: v.tolist() for k, v in levels.items()},
    "test": {k: v.tolist() for k, v in test.items()},
    "estimators": {},
}
for name, Est in (("ledoitWolf", LedoitWolf), ("oas", OAS), ("empirical", EmpiricalCovariance)):
    res = {}
    total = np.zeros(15)
    for k, X in levels.items():
        if name == "empirical" and X.shape[1] >= X.shape[0]:
            continue
        est = Est().fit(X)
        m = np.sqrt(est.mahalanobis(test[k]))  # sklearn returns squared distances
        res[k] = {
            "location": est.location_.tolist(),
            "precision": est.precision_.tolist(),
            "shrinkage": float(getattr(est, "shrinkage_", 0.0)),
            "mahalanobis": m.tolist(),
        }
        total += m
    res["total"] = total.tolist()
    out["estimators"][name] = res

path = os.path.join(os.path.dirname(__file__), "..", "packages", "mahalanobis-ad", "src", "fixtures", "ledoit-wolf-ad.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
