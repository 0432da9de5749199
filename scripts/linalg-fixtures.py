#!/usr/bin/env python3
"""Reference values for packages/core/src/linalg tests (core spec §2).

Writes packages/core/src/linalg/fixtures/{shrinkage,stats}.json from fixed-seed data with NumPy / SciPy /
scikit-learn. Run from the repo root with a Python that has all three (on the project machines the Debian
interpreter: `/usr/bin/python3 scripts/linalg-fixtures.py`). Values are written with repr() precision.
"""
import json
import os
import sys

import numpy as np
import scipy
import sklearn
from scipy import special, stats
from sklearn.covariance import OAS, EmpiricalCovariance, LedoitWolf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'packages', 'core', 'src', 'linalg', 'fixtures')


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def shrinkage_case(name, X):
    emp = EmpiricalCovariance().fit(X)
    lw = LedoitWolf().fit(X)
    oa = OAS().fit(X)
    return {
        'name': name,
        'n': int(X.shape[0]),
        'd': int(X.shape[1]),
        'X': tolist(X),
        'location': tolist(lw.location_),
        'empirical': {'covariance': tolist(emp.covariance_), 'precision': tolist(emp.precision_)},
        'ledoitWolf': {
            'covariance': tolist(lw.covariance_),
            'shrinkage': float(lw.shrinkage_),
            'precision': tolist(lw.precision_),
        },
        'oas': {'covariance': tolist(oa.covariance_), 'shrinkage': float(oa.shrinkage_), 'precision': tolist(oa.precision_)},
    }


def shrinkage_fixtures():
    rng = np.random.RandomState(20240607)
    cases = []
    # n = 50, d = 8: correlated Gaussian (random mixing matrix), non-zero mean.
    A = rng.randn(8, 8)
    X = rng.randn(50, 8) @ A.T + rng.randn(8)
    cases.append(shrinkage_case('n50_d8', X))
    # n = 30, d = 40 (d > n): the empirical covariance is singular.
    B = rng.randn(40, 40) * 0.3 + np.eye(40)
    X = rng.randn(30, 40) @ B.T
    cases.append(shrinkage_case('n30_d40', X))
    # Far from the origin (mean 1e3, unit-ish spread): tests the centring of the streaming moments.
    X = rng.randn(40, 5) * np.array([1.0, 2.0, 0.5, 1.5, 3.0]) + 1000.0
    cases.append(shrinkage_case('n40_d5_offset', X))
    # d = 1: sklearn returns the MLE variance and shrinkage 0.
    X = rng.randn(20, 1) * 2.0 + 3.0
    cases.append(shrinkage_case('n20_d1', X))
    return cases


def stats_fixtures():
    xs = [-5.0, -3.0, -1.5, -0.5, -1e-3, 0.0, 1e-8, 1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.5]
    erf = [{'x': x, 'erf': float(special.erf(x)), 'erfc': float(special.erfc(x))} for x in xs]
    chi2 = []
    for k in [1, 2, 3, 5, 10, 30, 100, 448, 1792]:
        for p in [1e-10, 1e-4, 0.01, 0.05, 0.3, 0.5, 0.9, 0.95, 0.99, 0.9999]:
            chi2.append({'p': p, 'k': k, 'ppf': float(stats.chi2.ppf(p, k))})
    cdf = []
    for k in [1, 2, 4, 7, 50, 1000]:
        for x in [1e-3, 0.5, 1.0, 3.0, 10.0, 60.0, 900.0, 1100.0]:
            cdf.append({'x': x, 'k': k, 'cdf': float(stats.chi2.cdf(x, k)), 'sf': float(stats.chi2.sf(x, k))})
    # Gaussian-AD working points: p = erf(σ/√2), q = erfc(σ/√2) for σ = 1..8.
    working = []
    for k in [1, 8, 64, 448]:
        for sigma in range(1, 9):
            p = float(special.erf(sigma / np.sqrt(2)))
            q = float(special.erfc(sigma / np.sqrt(2)))
            row = {'sigma': sigma, 'k': k, 'p': p, 'q': q, 'isf': float(stats.chi2.isf(q, k))}
            if sigma <= 6:
                row['ppf'] = float(stats.chi2.ppf(p, k))
            working.append(row)
    norm = [{'p': p, 'ppf': float(stats.norm.ppf(p)), 'cdf_x': x, 'cdf': float(stats.norm.cdf(x))}
            for p, x in [(1e-12, -7.0), (1e-5, -4.0), (0.02, -2.0), (0.3, -0.3), (0.5, 0.0), (0.8, 0.7), (0.999, 2.5), (1 - 1e-9, 6.0)]]
    rng = np.random.RandomState(7)
    a = rng.randn(60)
    b = 0.6 * a + 0.8 * rng.randn(60)
    # With ties: rounded copies.
    ta = np.round(a * 2) / 2
    tb = np.round(b)
    corr = [
        {'name': 'continuous', 'a': tolist(a), 'b': tolist(b), 'spearman': float(stats.spearmanr(a, b)[0]),
         'pearson': float(stats.pearsonr(a, b)[0])},
        {'name': 'ties', 'a': tolist(ta), 'b': tolist(tb), 'spearman': float(stats.spearmanr(ta, tb)[0]),
         'pearson': float(stats.pearsonr(ta, tb)[0]), 'ranksA': tolist(stats.rankdata(ta))},
    ]
    return {'erf': erf, 'chi2Ppf': chi2, 'chi2Cdf': cdf, 'workingPoints': working, 'norm': norm, 'correlation': corr}


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {'generator': 'scripts/linalg-fixtures.py', 'numpy': np.__version__, 'scipy': scipy.__version__,
            'sklearn': sklearn.__version__, 'python': sys.version.split()[0]}
    with open(os.path.join(OUT, 'shrinkage.json'), 'w') as f:
        json.dump({'meta': meta, 'cases': shrinkage_fixtures()}, f)
        f.write('\n')
    with open(os.path.join(OUT, 'stats.json'), 'w') as f:
        json.dump({'meta': meta, **stats_fixtures()}, f, indent=1)
        f.write('\n')
    print('wrote', OUT)


if __name__ == '__main__':
    main()
