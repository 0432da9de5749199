#!/usr/bin/env python3
"""NumPy port of APGD (L-inf, CE) from fra31/auto-attack `autoattack/autopgd_base.py`
(`APGDAttack.attack_single_run`, Croce & Hein, ICML 2020), on a linear softmax classifier z = x W + b.

Writes src/fixtures/apgd-linear.json: the model, inputs, labels, a start point x_init and, for each run, the
reference x_best (highest-loss point), x_best_adv (last misclassifying iterate), acc (still robust) and loss_best.
The TypeScript test runs APGD with `init = x_init` and compares where(acc, x_best, x_best_adv).

    python3 packages/adv-finetune/scripts/apgd_reference.py
"""
import json
import os

import numpy as np


def forward(x, y, W, b):
    z = x @ W + b
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y])
    onehot = np.eye(W.shape[1])[y]
    grad = (p - onehot) @ W.T
    return z, loss, grad


def apgd(x, y, W, b, eps, n_iter, x_init, rho=0.75):
    n = x.shape[0]
    n_iter_2 = max(int(0.22 * n_iter), 1)
    n_iter_min = max(int(0.06 * n_iter), 1)
    size_decr = max(int(0.03 * n_iter), 1)
    x_adv = np.clip(x_init, 0.0, 1.0)
    x_best = x_adv.copy()
    x_best_adv = x_adv.copy()
    loss_steps = np.zeros((n_iter, n))
    logits, loss_indiv, grad = forward(x_adv, y, W, b)
    grad_best = grad.copy()
    acc = logits.argmax(1) == y
    loss_best = loss_indiv.copy()
    step_size = 2.0 * eps * np.ones((n, 1))
    x_adv_old = x_adv.copy()
    k = n_iter_2
    counter3 = 0
    loss_best_last_check = loss_best.copy()
    reduced_last_check = np.ones(n)
    n_halved = 0
    for i in range(n_iter):
        grad2 = x_adv - x_adv_old
        x_adv_old = x_adv.copy()
        a = 0.75 if i > 0 else 1.0
        x_adv_1 = x_adv + step_size * np.sign(grad)
        x_adv_1 = np.clip(np.minimum(np.maximum(x_adv_1, x - eps), x + eps), 0.0, 1.0)
        x_adv_1 = np.clip(
            np.minimum(np.maximum(x_adv + (x_adv_1 - x_adv) * a + grad2 * (1 - a), x - eps), x + eps), 0.0, 1.0
        )
        x_adv = x_adv_1
        logits, loss_indiv, grad = forward(x_adv, y, W, b)
        pred = logits.argmax(1) == y
        acc = np.minimum(acc, pred)
        x_best_adv[~pred] = x_adv[~pred]
        y1 = loss_indiv.copy()
        loss_steps[i] = y1
        ind = y1 > loss_best
        x_best[ind] = x_adv[ind]
        grad_best[ind] = grad[ind]
        loss_best[ind] = y1[ind]
        counter3 += 1
        if counter3 == k:
            t = np.zeros(n)
            for c5 in range(k):
                t += loss_steps[i - c5] > loss_steps[i - c5 - 1]  # index -1 wraps, as in the reference
            fl_osc = (t <= k * rho).astype(float)
            fl_no_impr = (1.0 - reduced_last_check) * (loss_best_last_check >= loss_best)
            fl = np.maximum(fl_osc, fl_no_impr)
            reduced_last_check = fl.copy()
            loss_best_last_check = loss_best.copy()
            if fl.sum() > 0:
                m = fl > 0
                n_halved += int(m.sum())
                step_size[m] /= 2.0
                x_adv[m] = x_best[m]
                grad[m] = grad_best[m]
            k = max(k - size_decr, n_iter_min)
            counter3 = 0
    return x_best, acc, loss_best, x_best_adv, n_halved


def main():
    rng = np.random.default_rng(20201225)
    d, c, n = 16, 4, 8
    W = rng.normal(0, 1, (d, c)).astype(np.float32).astype(np.float64)
    b = rng.normal(0, 0.1, c).astype(np.float32).astype(np.float64)
    x = rng.uniform(0.15, 0.85, (n, d)).astype(np.float32).astype(np.float64)
    # labels = the model's clean predictions, so every example starts correctly classified
    y = (x @ W + b).argmax(1)
    runs = []
    for eps, n_iter in [(0.02, 25), (0.05, 40)]:
        t = rng.uniform(-1, 1, (n, d))
        x_init = (x + eps * t / np.abs(t).max(1, keepdims=True)).astype(np.float32).astype(np.float64)
        x_best, acc, loss_best, x_best_adv, n_halved = apgd(x, y, W, b, eps, n_iter, x_init)
        runs.append(
            {
                "eps": eps,
                "steps": n_iter,
                "x_init": x_init.tolist(),
                "x_best": x_best.tolist(),
                "x_best_adv": x_best_adv.tolist(),
                "acc": acc.astype(int).tolist(),
                "loss_best": loss_best.tolist(),
                "step_size_halvings": n_halved,
            }
        )
    out = {
        "source": "packages/adv-finetune/scripts/apgd_reference.py (NumPy port of fra31/auto-attack APGDAttack)",
        "W": W.tolist(),
        "b": b.tolist(),
        "x": x.tolist(),
        "y": y.tolist(),
        "shape": [4, 4, 1],
        "runs": runs,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "src", "fixtures", "apgd-linear.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", os.path.normpath(path), [(r["eps"], sum(r["acc"]), r["step_size_halvings"]) for r in runs])


if __name__ == "__main__":
    main()
