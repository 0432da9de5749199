"""Reference values for the @ft/hparams engine from Optuna itself (run with the Debian python3-optuna, 3.1).

Two later Optuna fixes are applied so the reference is today's Optuna: the truncated-normal log density subtracts
log(scale) (optuna#5109/#5110, in Optuna >= 3.5; 3.1 omits it), and a log-scaled integer's log density is the mass
of its cell [log(x - 1/2), log(x + 1/2)] under each kernel (optuna#6258), computed here from Optuna's own kernels.

Writes test/fixtures/engine-optuna.json:
- parzen: Optuna's _ParzenEstimator (weights, kernel centres and bandwidths, log pdf at given points) for
  continuous, log, stepped, integer, log-integer and categorical parameters, with 0, few and > 25 observations;
- multivariate: the same with multivariate=True over a float, a log float, a stepped int and a categorical;
- pruners: the should_prune decisions of MedianPruner, SuccessiveHalvingPruner and HyperbandPruner (their defaults)
  on a scripted sequence of learning curves.

Usage: /usr/bin/python3 packages/hparams/test/engine-optuna-reference.py
"""
import json
import math
import os

import numpy as np
import optuna
from optuna.distributions import distribution_to_json
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe import parzen_estimator as _pe_module
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights

optuna.logging.set_verbosity(optuna.logging.ERROR)

D = optuna.distributions

_logpdf_31 = _truncnorm.logpdf


def _logpdf_fixed(x, a, b, loc=0, scale=1):
    # optuna#5110: the density of a scaled truncated normal is divided by its scale.
    return _logpdf_31(x, a, b, loc=loc, scale=scale) - np.log(scale)


_truncnorm.logpdf = _logpdf_fixed
_pe_module.truncnorm.logpdf = _logpdf_fixed


def int_log_cell_logpdf(pe, dist, points):
    # optuna#6258: mass of [log(x - 1/2), log(x + 1/2)] under each truncated kernel, mixed by the weights.
    mus, sigmas, w = pe._mus["p"], pe._sigmas["p"], pe._weights
    low, high = pe._low["p"], pe._high["p"]
    out = []
    for x in points:
        lo, hi = math.log(x - 0.5), math.log(x + 0.5)
        mass = _truncnorm._log_gauss_mass((lo - mus) / sigmas, (hi - mus) / sigmas)
        acc = _truncnorm._log_gauss_mass((low - mus) / sigmas, (high - mus) / sigmas)
        comp = np.log(w) + mass - acc
        m = comp.max()
        out.append(float(m + math.log(np.exp(comp - m).sum())))
    return out


def parzen_case(name, dist, observations, points):
    params = _ParzenEstimatorParameters(
        consider_prior=True, prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
        weights=default_weights, multivariate=False,
    )
    internal = np.asarray([dist.to_internal_repr(v) for v in observations], dtype=float)
    pe = _ParzenEstimator({"p": internal}, {"p": dist}, params)
    pts = np.asarray([dist.to_internal_repr(v) for v in points], dtype=float)
    if isinstance(dist, D.CategoricalDistribution):
        pts = pts.astype(int)
    if isinstance(dist, D.IntDistribution) and dist.log:
        logpdf = np.asarray(int_log_cell_logpdf(pe, dist, points))
    else:
        logpdf = pe.log_pdf({"p": pts})
    out = {
        "name": name,
        "distribution": json.loads(distribution_to_json(dist)),
        "observations": list(observations),
        "points": list(points),
        "weights": pe._weights.tolist(),
        "logPdf": logpdf.tolist(),
    }
    if isinstance(dist, D.CategoricalDistribution):
        out["categorical"] = pe._categorical_weights["p"].tolist()
    else:
        out["mus"] = pe._mus["p"].tolist()
        out["sigmas"] = pe._sigmas["p"].tolist()
    return out


rng = np.random.RandomState(0)
many = [float(x) for x in rng.uniform(-3, 7, size=30)]
parzen = [
    parzen_case("float, no observation", D.FloatDistribution(-3, 7), [], [-3.0, 0.0, 6.5]),
    parzen_case("float, 3 observations", D.FloatDistribution(-3, 7), [1.0, 1.5, 6.0], [-2.9, 1.2, 5.0, 7.0]),
    parzen_case("float, 30 observations (weight ramp)", D.FloatDistribution(-3, 7), many, [-1.0, 2.0, 6.9]),
    parzen_case("float log", D.FloatDistribution(1e-5, 1, log=True), [1e-3, 2e-3, 0.5], [1e-5, 1e-3, 0.1, 1.0]),
    parzen_case("float step", D.FloatDistribution(0, 1, step=0.25), [0.25, 0.25, 1.0], [0.0, 0.25, 0.5, 1.0]),
    parzen_case("int", D.IntDistribution(1, 9, step=2), [3, 5, 5, 9], [1, 3, 7, 9]),
    parzen_case("int log", D.IntDistribution(1, 128, log=True), [2, 4, 64], [1, 3, 64, 128]),
    parzen_case("categorical", D.CategoricalDistribution(["a", "b", None, 3]), ["a", "a", None], ["a", "b", None, 3]),
]


def multivariate_case(name, space, rows, points):
    params = _ParzenEstimatorParameters(
        consider_prior=True, prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
        weights=default_weights, multivariate=True,
    )
    names = list(space)
    obs = {n: np.asarray([space[n].to_internal_repr(r[j]) for r in rows], dtype=float) for j, n in enumerate(names)}
    pe = _ParzenEstimator(obs, space, params)
    pts = {}
    for j, n in enumerate(names):
        v = np.asarray([space[n].to_internal_repr(p[j]) for p in points], dtype=float)
        pts[n] = v.astype(int) if isinstance(space[n], D.CategoricalDistribution) else v
    dims = []
    for n in names:
        d = {"distribution": json.loads(distribution_to_json(space[n]))}
        if isinstance(space[n], D.CategoricalDistribution):
            d["categorical"] = pe._categorical_weights[n].tolist()
        else:
            d["mus"] = pe._mus[n].tolist()
            d["sigmas"] = pe._sigmas[n].tolist()
        dims.append(d)
    return {"name": name, "rows": rows, "points": points, "weights": pe._weights.tolist(), "dims": dims,
            "logPdf": pe.log_pdf(pts).tolist()}


mv_space = {
    "x": D.FloatDistribution(-3, 7),
    "lr": D.FloatDistribution(1e-4, 1, log=True),
    "k": D.IntDistribution(0, 10, step=2),
    "c": D.CategoricalDistribution(["a", "b", "c"]),
}
mv_rows = [[1.0, 1e-3, 2, "a"], [1.5, 2e-3, 4, "a"], [6.0, 0.5, 10, "c"], [-2.0, 1e-4, 0, "b"]]
multivariate = [
    multivariate_case("multivariate, 4 observations", mv_space, mv_rows,
                      [[1.2, 1e-3, 2, "a"], [5.0, 0.1, 8, "c"], [-3.0, 1.0, 0, "b"]]),
    multivariate_case("multivariate, no observation", mv_space, [], [[0.0, 0.01, 4, "b"]]),
]


def curve(i, s):
    # A learning curve per trial: a trial-dependent plateau plus a decaying term.
    return ((i * 37) % 11) / 10.0 + 1.0 / (s + 1)


def run_pruner(pruner, n_trials=30, n_steps=27, study_name="engine-ref"):
    study = optuna.create_study(study_name=study_name, pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
    decisions = []
    for i in range(n_trials):
        t = study.ask()
        pruned_at = None
        for s in range(n_steps):
            t.report(curve(i, s), s)
            if t.should_prune():
                pruned_at = s
                break
        if pruned_at is None:
            study.tell(t, curve(i, n_steps - 1))
        else:
            study.tell(t, state=optuna.trial.TrialState.PRUNED)
        decisions.append(pruned_at)
    return decisions


pruners = {
    "median": run_pruner(optuna.pruners.MedianPruner()),
    "successiveHalving": run_pruner(optuna.pruners.SuccessiveHalvingPruner(min_resource=1)),
    "successiveHalvingAuto": run_pruner(optuna.pruners.SuccessiveHalvingPruner()),
    "hyperband": run_pruner(optuna.pruners.HyperbandPruner(min_resource=1, max_resource=27)),
    "hyperbandAuto": run_pruner(optuna.pruners.HyperbandPruner()),
}

out = {"optunaVersion": optuna.__version__, "parzen": parzen, "multivariate": multivariate, "pruners": pruners}
path = os.path.join(os.path.dirname(__file__), "fixtures", "engine-optuna.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print(path, {k: sum(d is not None for d in v) for k, v in pruners.items()})
