#!/usr/bin/env python3
"""Standalone NumPy AMP-MMV for JADCE .npz files: the cross-check of @ft/jadce's TypeScript `ampMmv`.

    python3 benchmarks/jadce/amp_mmv.py data.npz [--damping 0.5] [--max-iter 100] [--tol 1e-6] [--eps E]

Prints one JSON line {"nmseDb", "pMiss", "pFa", "aer", "count"} (NMSE needs the ground truth X; detection needs
`active`). Same algorithm as packages/jadce/src/amp-mmv.ts (Liu & Yu, TSP 2018, Algorithm 1, with damping):

    tau2 = ||Z||^2 / (L M);   R = X + S^H Z
    phi_n = 1 / (1 + exp(l_n)),  l_n = ln((1-eps)/eps) + M ln((b+tau2)/tau2) - ||r_n||^2 (1/tau2 - 1/(b+tau2))
    x_n = phi_n b/(b+tau2) r_n;  v_n = phi_n g tau2 + phi_n (1-phi_n) g^2 ||r_n||^2 / M;  c = mean(v)/tau2
    X <- (1-d) X_new + d X;  c <- (1-d) c_new + d c;  Z <- Y - S X + (N/L) c Z

Keys: S [L,N], Y [count,L,M], X [count,N,M], active [count,N], sigma2, eps, beta [N]; complex arrays as
complex64/complex128 or <key>_re/<key>_im pairs. Needs only numpy.
"""
import argparse
import json
import sys

import numpy as np


def complex_key(z, key, required=True):
    if key in z:
        return np.asarray(z[key]).astype(np.complex128)
    if key + '_re' in z and key + '_im' in z:
        return np.asarray(z[key + '_re'], dtype=np.float64) + 1j * np.asarray(z[key + '_im'], dtype=np.float64)
    if required:
        sys.exit(f"missing key '{key}'")
    return None


def amp_mmv(Y, S, eps, beta, damping=0.5, max_iter=100, tol=1e-6):
    L, N = S.shape
    M = Y.shape[1]
    X = np.zeros((N, M), dtype=np.complex128)
    Z = Y.copy()
    c = 0.0
    phi = np.zeros(N)
    SH = S.conj().T
    for it in range(1, max_iter + 1):
        tau = max(np.sum(np.abs(Z) ** 2) / (L * M), 1e-300)
        R = X + SH @ Z
        r2 = np.sum(np.abs(R) ** 2, axis=1)
        l = np.log((1 - eps) / eps) + M * np.log((beta + tau) / tau) - r2 * (1 / tau - 1 / (beta + tau))
        phi = 0.5 * (1.0 - np.tanh(0.5 * l))  # sigmoid(-l) without overflow
        g = beta / (beta + tau)
        Xn = (phi * g)[:, None] * R
        v = phi * g * tau + phi * (1 - phi) * g ** 2 * r2 / M
        c_new = np.mean(v) / tau
        X_old = X
        if damping > 0:
            Xn = (1 - damping) * Xn + damping * X
            c = (1 - damping) * c_new + damping * c
        else:
            c = c_new
        X = Xn
        Z = Y - S @ X + (N / L) * c * Z
        if it > 1 and np.sum(np.abs(X - X_old) ** 2) <= tol * tol * np.sum(np.abs(X) ** 2):
            break
    return X, phi


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--damping', type=float, default=0.5)
    ap.add_argument('--max-iter', type=int, default=100)
    ap.add_argument('--tol', type=float, default=1e-6)
    ap.add_argument('--eps', type=float, default=None)
    a = ap.parse_args()
    z = np.load(a.data)
    S = complex_key(z, 'S')
    Y = complex_key(z, 'Y')
    if Y.ndim == 2:
        Y = Y[None]
    X = complex_key(z, 'X', required=False)
    if X is not None and X.ndim == 2:
        X = X[None]
    eps = a.eps if a.eps is not None else (float(z['eps']) if 'eps' in z else None)
    if eps is None:
        sys.exit('eps missing: pass --eps')
    N = S.shape[1]
    beta = np.asarray(z['beta'], dtype=np.float64) if 'beta' in z else np.ones(N)
    active = np.asarray(z['active']).reshape(Y.shape[0], N).astype(bool) if 'active' in z else None
    num = den = 0.0
    miss = fa = n_act = n_inact = 0
    for b in range(Y.shape[0]):
        Xh, phi = amp_mmv(Y[b], S, eps, beta, a.damping, a.max_iter, a.tol)
        if X is not None:
            num += np.sum(np.abs(Xh - X[b]) ** 2)
            den += np.sum(np.abs(X[b]) ** 2)
        if active is not None:
            det = phi >= 0.5
            miss += int(np.sum(active[b] & ~det))
            fa += int(np.sum(~active[b] & det))
            n_act += int(np.sum(active[b]))
            n_inact += int(np.sum(~active[b]))
    out = {'count': int(Y.shape[0])}
    if X is not None:
        out['nmseDb'] = float(10 * np.log10(num / den))
    if active is not None:
        out['pMiss'] = miss / n_act if n_act else None
        out['pFa'] = fa / n_inact if n_inact else None
        out['aer'] = (miss + fa) / (Y.shape[0] * N)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
