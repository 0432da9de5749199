#!/usr/bin/env python3
"""Reference trajectories for @ft/core optimizers (packages/core/src/train/optimizer.test.ts).

Re-implements the update rules of torch.optim.SGD / Adam / AdamW (PyTorch 2.x docs pseudo-code, single-tensor
path, no amsgrad/maximize) in float64 NumPy and runs them on a least-squares problem
    L(W, b) = 1/(2n) * || X W + 1 b^T - T ||_F^2
with two parameter tensors, optionally in parameter groups (lr multiplier / per-group weight decay).
Writes packages/core/src/train/fixtures/optimizer-trajectories.json.

Usage: python3 scripts/train-optimizer-fixtures.py
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20240601)
n, d_in, d_out = 6, 3, 2
X = rng.normal(size=(n, d_in)).round(3)
T = rng.normal(size=(n, d_out)).round(3)
W0 = rng.normal(size=(d_in, d_out)).round(3)
b0 = rng.normal(size=(d_out,)).round(3)
STEPS = 15


def grads(W, b):
    r = X @ W + b[None, :] - T
    return [X.T @ r / n, r.sum(0) / n]


def run(kind, cfg, groups):
    """groups: per parameter index (0 = W, 1 = b) -> (lrMult, weightDecay)."""
    params = [W0.copy(), b0.copy()]
    state = [dict(step=0) for _ in params]
    traj = []
    for _ in range(STEPS):
        gs = grads(*params)
        for i, (p, g) in enumerate(zip(params, gs)):
            lr_mult, wd = groups.get(i, (1.0, cfg.get("weightDecay", 0.0)))
            lr = cfg["lr"] * lr_mult
            st = state[i]
            st["step"] += 1
            if kind == "sgd":
                m, damp, nest = cfg.get("momentum", 0.0), cfg.get("dampening", 0.0), cfg.get("nesterov", False)
                if wd != 0:
                    g = g + wd * p
                if m != 0:
                    if "buf" not in st:
                        st["buf"] = g.copy()
                    else:
                        st["buf"] = m * st["buf"] + (1 - damp) * g
                    g = g + m * st["buf"] if nest else st["buf"]
                p = p - lr * g
            else:
                b1, b2, eps = cfg.get("beta1", 0.9), cfg.get("beta2", 0.999), cfg.get("eps", 1e-8)
                if wd != 0:
                    if kind == "adamw":
                        p = p * (1 - lr * wd)
                    else:
                        g = g + wd * p
                st.setdefault("m", np.zeros_like(p))
                st.setdefault("v", np.zeros_like(p))
                st["m"] = b1 * st["m"] + (1 - b1) * g
                st["v"] = b2 * st["v"] + (1 - b2) * g * g
                t = st["step"]
                step_size = lr / (1 - b1**t)
                denom = np.sqrt(st["v"]) / np.sqrt(1 - b2**t) + eps
                p = p - step_size * st["m"] / denom
            params[i] = p
        traj.append([params[0].ravel().tolist(), params[1].ravel().tolist()])
    return traj


cases = [
    ("sgd", dict(lr=0.1), {}),
    ("sgd", dict(lr=0.05, momentum=0.9), {}),
    ("sgd", dict(lr=0.05, momentum=0.9, dampening=0.1, weightDecay=0.01), {}),
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weightDecay=5e-4), {}),
    ("sgd", dict(lr=0.05, momentum=0.9, weightDecay=0.1), {0: (1.0, 0.1), 1: (2.0, 0.0)}),
    ("adam", dict(lr=0.05), {}),
    ("adam", dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6, weightDecay=0.1), {}),
    ("adamw", dict(lr=0.05, weightDecay=0.1), {}),
    ("adamw", dict(lr=0.05, weightDecay=0.1), {0: (0.5, 0.1), 1: (1.0, 0.0)}),
]

out = {
    "problem": "L(W,b) = 1/(2n) ||X W + 1 b^T - T||_F^2",
    "X": X.tolist(),
    "T": T.tolist(),
    "W0": W0.tolist(),
    "b0": b0.tolist(),
    "steps": STEPS,
    "cases": [
        {
            "kind": kind,
            "options": cfg,
            "groups": [{"param": i, "lrMult": lm, "weightDecay": wd} for i, (lm, wd) in groups.items()],
            "trajectory": run(kind, cfg, groups),
        }
        for kind, cfg, groups in cases
    ],
}
path = os.path.join(os.path.dirname(__file__), "..", "packages", "core", "src", "train", "fixtures", "optimizer-trajectories.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
