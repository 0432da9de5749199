#!/usr/bin/env python3
"""Reference values for @ft/core metrics (packages/core/src/metrics/fixtures/sklearn.json).

Run from the repo root with a Python that has numpy, scipy and scikit-learn (on the project machines: Debian's
python3-sklearn, i.e. `/usr/bin/python3 scripts/metrics-fixtures.py`). Inputs are drawn from fixed seeds and
include ties; the output is deterministic for given library versions (recorded in the JSON).

sklearn references: roc_auc_score, average_precision_score, precision_recall_curve (and the F1 max derived from it),
roc_curve, confusion_matrix, accuracy_score, top_k_accuracy_score, balanced_accuracy_score, recall_score.
AUPRO has no sklearn implementation: `aupro_reference` below is a deliberately naive, independent NumPy
threshold sweep (scipy.ndimage.label components, per-threshold recomputation of FPR and per-region overlap,
np.trapz up to the FPR limit with linear interpolation at the limit, divided by the limit).
"""

import json
import os
import sys

try:
    import numpy as np
    import scipy
    import scipy.ndimage
    import scipy.stats
    import sklearn
    from sklearn import metrics as skm
except ImportError as e:  # pragma: no cover
    sys.exit(f"{e}: run with a Python that has numpy, scipy and scikit-learn, e.g. /usr/bin/python3 (python3-sklearn)")

OUT = os.path.join(os.path.dirname(__file__), "..", "packages", "core", "src", "metrics", "fixtures", "sklearn.json")


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def ints(a):
    return [int(v) for v in np.asarray(a).ravel()]


def f1_max_from_pr(y, s):
    """Max F1 along sklearn's PR curve; among (numerically) equal maxima the lowest threshold (first argmax)."""
    p, r, t = skm.precision_recall_curve(y, s)
    p, r = p[:-1], r[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    best = f1.max()
    k = int(np.flatnonzero(f1 >= best - 1e-12)[0])
    return {"f1": float(f1[k]), "threshold": float(t[k])}


def binary_case(name, y, s):
    y = np.asarray(y, dtype=np.int64)
    s = np.asarray(s, dtype=np.float64)
    fpr, tpr, thr = skm.roc_curve(y, s)
    p, r, t = skm.precision_recall_curve(y, s)
    return {
        "name": name,
        "labels": ints(y),
        "scores": floats(s),
        "roc_auc_score": float(skm.roc_auc_score(y, s)),
        "average_precision_score": float(skm.average_precision_score(y, s)),
        "f1_max": f1_max_from_pr(y, s),
        "roc_curve": {
            "fpr": floats(fpr),
            "tpr": floats(tpr),
            # thresholds[0] is max+1 in sklearn 1.2 and inf in >= 1.3: the TS side uses Infinity; compare the rest.
            "thresholds_after_first": floats(thr[1:]),
        },
        "precision_recall_curve": {"precision": floats(p), "recall": floats(r), "thresholds": floats(t)},
    }


def binary_cases():
    rng = np.random.default_rng(20240501)
    cases = [binary_case("sklearn-doc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])]
    # Quantised scores: many ties within and across classes.
    y = (rng.random(60) < 0.4).astype(int)
    s = np.round(rng.random(60) * 0.6 + 0.3 * y, 1)
    cases.append(binary_case("ties-quantised", y, s))
    # Continuous, imbalanced (10 % positives), shifted Gaussians.
    y = (rng.random(200) < 0.1).astype(int)
    s = rng.normal(size=200) + 1.2 * y
    cases.append(binary_case("continuous-imbalanced", y, s))
    # Integer scores with negative values and heavy ties.
    y = (rng.random(40) < 0.5).astype(int)
    s = rng.integers(-3, 4, size=40).astype(float) + (y * rng.integers(0, 2, size=40))
    cases.append(binary_case("integer-ties", y, s))
    # All scores tied.
    cases.append(binary_case("all-tied", [0, 1, 0, 1, 1], [0.5] * 5))
    # Perfectly separated and perfectly inverted.
    cases.append(binary_case("separated", [0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9]))
    cases.append(binary_case("inverted", [1, 1, 0, 0, 0], [0.1, 0.2, 0.3, 0.8, 0.9]))
    return cases


def multiclass_case():
    rng = np.random.default_rng(7)
    n, k = 50, 4
    y = rng.integers(0, k, size=n)
    logits = np.round(rng.normal(size=(n, k)) * 2) / 2  # steps of 0.5: ties inside rows
    logits[np.arange(n), y] += 0.5 * (rng.random(n) < 0.5)
    pred = np.argmax(logits, axis=1)  # first index on ties
    labels = list(range(k))
    return {
        "y_true": ints(y),
        "logits": [floats(row) for row in logits],
        "num_classes": k,
        "argmax_pred": ints(pred),
        "accuracy_score": float(skm.accuracy_score(y, pred)),
        "top_k_accuracy_score": {
            str(kk): float(skm.top_k_accuracy_score(y, logits, k=kk, labels=labels)) for kk in (1, 2, 3)
        },
        "confusion_matrix": [ints(row) for row in skm.confusion_matrix(y, pred, labels=labels)],
        "recall_per_class": floats(skm.recall_score(y, pred, labels=labels, average=None, zero_division=0)),
        "balanced_accuracy_score": float(skm.balanced_accuracy_score(y, pred)),
    }


def aupro_reference(masks, maps, fpr_limit, connectivity):
    """Independent, naive AUPRO: recompute FPR and mean per-region overlap at every distinct score."""
    structure = np.ones((3, 3), dtype=int) if connectivity == 8 else scipy.ndimage.generate_binary_structure(2, 1)
    regions = []
    for m in masks:
        lab, num = scipy.ndimage.label(m >= 0.5, structure=structure)
        regions.extend(lab == c for c in range(1, num + 1))
    regions_scores = []
    for img, m in enumerate(masks):
        lab, num = scipy.ndimage.label(m >= 0.5, structure=structure)
        for c in range(1, num + 1):
            regions_scores.append(maps[img][lab == c])
    background = np.concatenate([maps[i][masks[i] < 0.5] for i in range(len(masks))])
    thresholds = np.unique(maps)[::-1]
    fprs = [0.0]
    pros = [0.0]
    for t in thresholds:
        fprs.append(float(np.mean(background >= t)))
        pros.append(float(np.mean([np.mean(rs >= t) for rs in regions_scores])))
    fprs = np.array(fprs)
    pros = np.array(pros)
    idx = int(np.searchsorted(fprs, fpr_limit, side="right"))  # first index with fpr > limit
    x = list(fprs[:idx])
    yv = list(pros[:idx])
    if idx < len(fprs) and x[-1] < fpr_limit:
        x0, x1, y0, y1 = fprs[idx - 1], fprs[idx], pros[idx - 1], pros[idx]
        x.append(fpr_limit)
        yv.append(y0 + (y1 - y0) * (fpr_limit - x0) / (x1 - x0))
    trapz = getattr(np, "trapezoid", None) or np.trapz
    return float(trapz(yv, x) / fpr_limit), len(regions)


def aupro_case():
    rng = np.random.default_rng(11)
    h = w = 12
    masks = np.zeros((3, h, w))
    # Image 0: a 3x3 block, a single pixel touching it only diagonally (merged under 8-, split under
    # 4-connectivity), and a separate 2x4 bar.
    masks[0, 2:5, 2:5] = 1
    masks[0, 5, 5] = 1
    masks[0, 8:10, 6:10] = 1
    # Image 1: one larger irregular region.
    masks[1, 3:9, 4:8] = 1
    masks[1, 6:8, 2:4] = 1
    # Image 2: defect-free.
    maps = rng.random((3, h, w)) * 0.7 + 0.35 * masks
    maps = np.round(maps * 20) / 20  # steps of 0.05: many ties
    cases = []
    for conn in (8, 4):
        for lim in (0.3, 0.05, 1.0):
            value, nreg = aupro_reference(masks, maps, lim, conn)
            cases.append({"connectivity": conn, "fpr_limit": lim, "aupro": value, "regions": nreg})
    y = (masks >= 0.5).astype(int).ravel()
    return {
        "masks": [[ints(r) for r in m] for m in masks],
        "maps": [[floats(r) for r in m] for m in maps],
        "cases": cases,
        "pixel_roc_auc_score": float(skm.roc_auc_score(y, maps.ravel())),
    }


def stats_case():
    rng = np.random.default_rng(3)
    v = rng.normal(80, 2, size=7)
    return {
        "values": floats(v),
        "mean": float(np.mean(v)),
        "std_ddof1": float(np.std(v, ddof=1)),
        "sem": float(scipy.stats.sem(v)),
        "median": float(np.median(v)),
        "median_even": float(np.median(v[:6])),
    }


def nmse_case():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 6))
    x[1] = 0  # an all-zero sample: ratio-of-sums stays finite
    x_hat = x + 0.1 * rng.normal(size=x.shape)
    return {
        "x": floats(x),
        "x_hat": floats(x_hat),
        "nmse_db": float(10 * np.log10(np.sum((x_hat - x) ** 2) / np.sum(x**2))),
    }


def main():
    data = {
        "generator": "scripts/metrics-fixtures.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                     "sklearn": sklearn.__version__},
        "binary": binary_cases(),
        "multiclass": multiclass_case(),
        "aupro": aupro_case(),
        "stats": stats_case(),
        "nmse": nmse_case(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
