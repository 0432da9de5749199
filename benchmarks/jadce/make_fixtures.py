#!/usr/bin/env python3
"""Writes the NumPy-made fixtures of @ft/jadce's tests (run from the repo root):

    python3 benchmarks/jadce/make_fixtures.py

- packages/jadce/src/fixtures/numpy-small.npz: a JADCE data set drawn by NumPy (seed 7; N 40, M 4, L 16, eps 0.1,
  15 dB, 12 realisations) and saved with savez_compressed in the mixed encodings a user may bring: S complex64,
  Y as a Y_re/Y_im pair (big-endian float64, Fortran order), X complex128, active bool, sigma2 a scalar, eps a scalar.
- packages/jadce/src/fixtures/amp-reference.json: the NMSE / detection numbers of the standalone NumPy AMP-MMV
  (benchmarks/jadce/amp_mmv.py) on that file, which the TypeScript ampMmv must match within 0.3 dB.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from amp_mmv import amp_mmv  # noqa: E402

OUT = os.path.join(HERE, '..', '..', 'packages', 'jadce', 'src', 'fixtures')
os.makedirs(OUT, exist_ok=True)

rng = np.random.default_rng(7)
N, M, L, eps, snr_db, count = 40, 4, 16, 0.1, 15.0, 12
S = (rng.standard_normal((L, N)) + 1j * rng.standard_normal((L, N))) / np.sqrt(2 * L)
S = S.astype(np.complex64)
active = rng.random((count, N)) < eps
H = (rng.standard_normal((count, N, M)) + 1j * rng.standard_normal((count, N, M))) / np.sqrt(2)
X = active[:, :, None] * H
sigma2 = eps * N / (L * 10 ** (snr_db / 10))
W = (rng.standard_normal((count, L, M)) + 1j * rng.standard_normal((count, L, M))) * np.sqrt(sigma2 / 2)
Y = S.astype(np.complex128) @ X + W
path = os.path.join(OUT, 'numpy-small.npz')
np.savez_compressed(
    path,
    S=S,
    Y_re=np.asfortranarray(Y.real.astype('>f8')),
    Y_im=np.asfortranarray(Y.imag.astype('>f8')),
    X=X,
    active=active,
    sigma2=np.float64(sigma2),
    eps=np.float64(eps),
)

ref = {}
S128 = S.astype(np.complex128)
for damping in (0.0, 0.5):
    num = den = 0.0
    miss = fa = 0
    for b in range(count):
        Xh, phi = amp_mmv(Y[b], S128, eps, np.ones(N), damping, 100, 1e-6)
        num += np.sum(np.abs(Xh - X[b]) ** 2)
        den += np.sum(np.abs(X[b]) ** 2)
        det = phi >= 0.5
        miss += int(np.sum(active[b] & ~det))
        fa += int(np.sum(~active[b] & det))
    ref[f'damping={damping}'] = {'nmseDb': float(10 * np.log10(num / den)), 'misses': miss, 'falseAlarms': fa}
with open(os.path.join(OUT, 'amp-reference.json'), 'w') as fh:
    json.dump({'file': 'numpy-small.npz', 'maxIter': 100, 'tol': 1e-6, 'results': ref}, fh, indent=1)
print(json.dumps(ref))
