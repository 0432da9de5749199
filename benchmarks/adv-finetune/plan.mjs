// Pure logic of the adv-finetune re-run (issue 17): selection on validation, automatic edge-widening of grids,
// coordinate-wise tuning, the AFT budget at 1/ratio of PGD-AT's adversarial passes, the run's cost model (time
// estimate from measured per-pass costs) and the two verdict rules. No tensors, no I/O: unit-tested in
// plan.test.mjs and used by run.mjs.

import { meanStd } from '@ft/core';

/**
 * The better of two validation results: higher robust accuracy, ties broken by higher clean accuracy, then by the
 * earlier candidate (stable). Candidates: `{ valRobust, valClean }`.
 * @returns {boolean} true when `a` beats `b`.
 */
export function beats(a, b) {
  if (!b) return true;
  if (a.valRobust !== b.valRobust) return a.valRobust > b.valRobust;
  return a.valClean > b.valClean;
}

/** Index of the best candidate by {@link beats} (first of equals); -1 for an empty list. */
export function selectBest(candidates) {
  let best = -1;
  candidates.forEach((c, i) => {
    if (best < 0 || beats(c, candidates[best])) best = i;
  });
  return best;
}

/**
 * Widening rules for a numeric hyper-parameter. `log`: multiply / divide by `factor` beyond the edges (learning rates);
 * `unit`: a fraction in (0, 1), widened half-way towards 0 or 1 (warm-up fraction p), never reaching them.
 */
export const WIDEN = {
  log: (factor = 2) => ({
    below: (v) => v / factor,
    above: (v) => v * factor,
  }),
  unit: (limit = 0.02) => ({
    below: (v) => (v / 2 > limit ? +(v / 2).toPrecision(3) : null),
    above: (v) => ((1 + v) / 2 < 1 - limit ? +((1 + v) / 2).toPrecision(3) : null),
  }),
};

/** Where `value` sits in `values`: 'low', 'high' or 'interior' (a single value counts as both edges: 'low'). */
export function edgeOf(values, value) {
  const sorted = [...values].sort((a, b) => a - b);
  if (value === sorted[0]) return 'low';
  if (value === sorted[sorted.length - 1]) return 'high';
  return 'interior';
}

/**
 * Tunes one numeric hyper-parameter on validation, widening the grid while the choice sits on an edge: after each
 * round, if the best value is the lowest (highest) tried, the next value below (above) it is tried too, up to
 * `maxWidenings` extra values. The result says whether the choice ended interior, and flags it otherwise (`edge`:
 * 'low' | 'high', `reason`: 'max-widenings' | 'bound').
 * @param {{ values: number[], widen: {below: (v:number)=>number|null, above: (v:number)=>number|null},
 *   maxWidenings?: number, evaluate: (v: number) => Promise<{valRobust: number, valClean: number}> }} o
 * @returns {Promise<{ value: number, tried: {value: number, valRobust: number, valClean: number}[],
 *   edge: null | 'low' | 'high', reason: null | 'max-widenings' | 'bound', widenings: number }>}
 */
export async function tuneWithWidening({ values, widen, maxWidenings = 3, evaluate }) {
  if (!values?.length) throw new Error('tuneWithWidening: empty grid');
  const tried = [];
  const run = async (v) => {
    const r = await evaluate(v);
    tried.push({ value: v, valRobust: r.valRobust, valClean: r.valClean });
  };
  for (const v of values) await run(v);
  let widenings = 0;
  for (;;) {
    const best = tried[selectBest(tried)];
    const all = tried.map((t) => t.value);
    const edge = all.length < 2 ? 'low' : edgeOf(all, best.value);
    if (edge === 'interior') return { value: best.value, tried, edge: null, reason: null, widenings };
    const next = edge === 'low' ? widen.below(best.value) : widen.above(best.value);
    if (next === null || next === undefined || all.includes(next)) {
      return { value: best.value, tried, edge, reason: 'bound', widenings };
    }
    if (widenings >= maxWidenings) return { value: best.value, tried, edge, reason: 'max-widenings', widenings };
    widenings++;
    await run(next);
  }
}

/**
 * A caveat sentence for a tuned parameter whose choice stayed on an edge of its (widened) grid; null when interior.
 * @param {string} arm @param {string} param @param {Awaited<ReturnType<typeof tuneWithWidening>>} t
 */
export function edgeCaveat(arm, param, t) {
  if (!t.edge) return null;
  const vals = [...new Set(t.tried.map((x) => x.value))].sort((a, b) => a - b);
  const why =
    t.reason === 'bound'
      ? 'the grid cannot be widened further (bound of the parameter)'
      : `still on the edge after ${t.widenings} automatic widening(s), the cap`;
  return `${arm}'s chosen ${param} ${t.value} is at the ${t.edge} end of its grid {${vals.join(', ')}}: ${why}.`;
}

/**
 * Index list for `examples` training examples drawn as whole shuffled passes over `n` images (the last pass
 * truncated): AFT's budget of `epochs × n / ratio` examples, e.g. 2.5 passes. One "epoch" over the returned list is
 * the whole budget. `shuffle(k)` returns a permutation of 0..k-1 (the caller's seeded RNG).
 */
export function passIndices(n, examples, shuffle) {
  if (!(n > 0) || !(examples > 0))
    throw new Error(`passIndices: n and examples must be positive, got ${n}, ${examples}`);
  const out = new Int32Array(examples);
  let filled = 0;
  while (filled < examples) {
    const perm = shuffle(n);
    const take = Math.min(n, examples - filled);
    for (let i = 0; i < take; i++) out[filled + i] = perm[i];
    filled += take;
  }
  return out;
}

/** Validation every this many epochs: about 10 points over a run (always after the last epoch too). */
export function valEvery(epochs) {
  return Math.max(1, Math.round(epochs / 10));
}

/** Number of validation points of a run of `epochs` epochs validated every {@link valEvery} epochs and at the end. */
export function valPoints(epochs) {
  const every = valEvery(epochs);
  let n = 0;
  for (let e = 1; e <= epochs; e++) if (e % every === 0 || e === epochs) n++;
  return n;
}

/** AFT's example budget: A's training examples (epochs × n) divided by the compute ratio, rounded. */
export function aftExamples({ trainSize, epochsA, ratio }) {
  return Math.round((epochsA * trainSize) / ratio);
}

// ---- cost model ------------------------------------------------------------------------------------------------

/**
 * Seconds per 1,000 forward+backward single-example passes on 2 idle cores (ft-native, tinyCnn, batch 128), per kind
 * of work. Calibrated on the 14 final units of the full-scale run of 2026-12-05/06 (`train wall s` ÷ passes):
 * adversarial 0.27 (PGD-7 AT, arm A) – 0.29 (TRADES), 0.28 (AFT), 0.34 (Fast-AT); evaluation 0.33–0.37; natural
 * pre-training 0.23–0.25. The cut run of 2026-11-28 had measured 0.16 / 0.19 / 0.25, and the full run's plan made
 * with those (89 min) fell short by about 1.7×; PGD-AT and TRADES finals took 7–9 min each, not 4–5.
 */
export const DEFAULT_RATES = {
  natural: 0.25, // natural training (weight gradients on every pass)
  adversarial: 0.29, // PGD-K / Fast-AT / TRADES training passes (attack + update)
  eval: 0.36, // evaluation and validation attack passes (input gradients, BN inference)
};

/**
 * Passes of one evaluation of a model on `testSize` images: PGD-20 on all, APGD-CE-100 on the PGD-20 survivors,
 * FGSM, and PGD-50×5 (cascade after PGD-20 and APGD-CE) on `pgd50Size` images; `survive` is the fraction of
 * examples left after each attack (≈ robust accuracy), `sanitySize` the gradient-masking check (≈ 80 passes each).
 */
export function evalPasses({ testSize, pgd50Size, survive = 0.5, sanitySize = 100 }) {
  // upper bound: attackAccuracy only attacks the clean-correct examples (≈ 75 % here), counted as all of them
  const main = testSize * (1 + 21 + survive * 101 + 2);
  const sub = pgd50Size * (1 + 21 + survive * 101 + survive * 255);
  // gradient-masking checks: PGD-10 at 5 values of ε, FGSM, clean (≈ 60 passes), rounded up
  return main + sub + sanitySize * 80;
}

/**
 * Training passes and validation passes of one arm run. `examples`: training examples seen; `perExample`: passes
 * per example (PGD-K: K + 1; TRADES: K + 2; Fast-AT: 2; natural: 1); `valPoints`: validation evaluations (PGD-10 on
 * `valSize` images: 12 passes each).
 */
export function runPasses({ examples, perExample, valPoints, valSize }) {
  return { train: examples * perExample, val: valPoints * valSize * 12 };
}

/**
 * The whole run's work list (tuning on the first seed, then every seed's finals), as `{ what, kind, passes }`
 * entries, from the run's configuration. Tuning trials at full budget on the first seed are reused as that seed's
 * finals, so they are not counted twice. `trials` gives the expected number of trials per tuned arm (grid + expected
 * widenings).
 */
export function workList(c) {
  const K1 = c.K + 1;
  const work = [];
  const add = (what, kind, passes) => work.push({ what, kind, passes });
  const aEx = c.epochsA * c.trainSize;
  const aft = aftExamples(c);
  const seeds = c.seeds.length;
  // tuning on the first seed (validation only at the end of a trial; full-budget trials double as seed 0's finals)
  const rungA = Math.max(1, Math.round(c.epochsA * c.tuneFraction));
  const rungT = Math.max(1, Math.round(c.epochsTrades * c.tuneFraction));
  add('tune A (short budget)', 'adversarial', c.trials.A * rungA * c.trainSize * K1);
  add('tune TRADES (short budget)', 'adversarial', c.trials.TRADES * rungT * c.trainSize * (c.K + 2));
  for (const arm of ['B', 'C', 'D', 'E', 'F']) add(`tune ${arm}`, 'adversarial', (c.trials[arm] - 1) * aft * K1);
  add('tune Fast-AT', 'adversarial', (c.trials['Fast-AT'] - 1) * c.epochsFast * c.trainSize * 2);
  const tunePoints = Object.entries(c.trials).reduce(
    (s, [arm, t]) => s + t * (arm === 'Fast-AT' ? valPoints(c.epochsFast) : 1),
    0,
  );
  const tuneVal = tunePoints * c.valSize * 12;
  add('tune: validation', 'eval', tuneVal);
  // finals, every seed
  add('natural pre-training', 'natural', seeds * c.pretrainEpochs * c.trainSize);
  add('A', 'adversarial', seeds * aEx * K1);
  add('B–F', 'adversarial', seeds * 5 * aft * K1);
  add('TRADES', 'adversarial', seeds * c.epochsTrades * c.trainSize * (c.K + 2));
  add('Fast-AT', 'adversarial', seeds * c.epochsFast * c.trainSize * 2);
  const valPts = valPoints(c.epochsA) + 5 * c.aftValPoints + valPoints(c.epochsTrades) + valPoints(c.epochsFast);
  add('validation curves', 'eval', seeds * valPts * c.valSize * 12);
  add('evaluation', 'eval', seeds * 8 * evalPasses(c));
  return work;
}

/** Estimated seconds of a work list under `rates` (s per 1,000 passes). */
export function estimateSeconds(work, rates = DEFAULT_RATES) {
  return work.reduce((s, w) => s + (w.passes / 1000) * rates[w.kind], 0);
}

// ---- verdicts ------------------------------------------------------------------------------------------------

/**
 * Paired per-seed difference `a − b` (same seeds): mean, std, and whether it is within noise (|mean| ≤ 2·std/√n,
 * i.e. inside a rough 95 % interval of the mean difference; with one seed never "within noise").
 */
export function pairedDiff(a, b) {
  if (a.length !== b.length || a.length === 0) throw new Error('pairedDiff: need equal, non-empty per-seed lists');
  const d = a.map((x, i) => x - b[i]);
  const { mean: m, std: sampleStd } = meanStd(d);
  const s = d.length > 1 ? sampleStd : 0; // one seed: no spread, and never "within noise".
  const half = d.length > 1 ? (2 * s) / Math.sqrt(d.length) : 0;
  return { mean: m, std: s, half, withinNoise: d.length > 1 && Math.abs(m) <= half };
}

/**
 * Claim 1, "AFT (B) matches PGD-AT (A) at 1/8 of its adversarial compute": B's clean and robust test accuracy are
 * each no more than `tol` below A's (mean over seeds) and A spends ≥ `minRatio`× B's adversarial passes.
 * 'reproduced' when both accuracies match and the ratio holds, 'partly' when one accuracy matches (ratio holding),
 * 'not reproduced' otherwise. Inputs: per-seed lists `{clean, robust}` for A and B, and the pass ratio.
 */
export function verdictMatches({ A, B, ratio, tol = 0.01, minRatio = 8 }) {
  const clean = pairedDiff(B.clean, A.clean);
  const robust = pairedDiff(B.robust, A.robust);
  const okClean = clean.mean >= -tol;
  const okRobust = robust.mean >= -tol;
  const cheap = ratio >= minRatio - 1e-9;
  const verdict =
    cheap && okClean && okRobust ? 'reproduced' : cheap && (okClean || okRobust) ? 'partly' : 'not reproduced';
  return { verdict, clean, robust, okClean, okRobust, cheap };
}

/**
 * Claim 2, "slow start, fast decay (B) beats the other schedules (C, D, E)" on robust test accuracy at the same AFT
 * budget: 'reproduced' when B's mean beats every other schedule's and no difference is within noise, 'partly' when
 * B beats each on the mean but some difference is within noise, or beats some but not all, 'not reproduced' when it
 * beats none. `others`: { C: number[], ... } per-seed robust accuracies.
 */
export function verdictSchedules({ B, others }) {
  const diffs = Object.fromEntries(Object.entries(others).map(([arm, v]) => [arm, pairedDiff(B, v)]));
  const beat = Object.entries(diffs).filter(([, d]) => d.mean > 0);
  const clear = beat.filter(([, d]) => !d.withinNoise);
  const n = Object.keys(diffs).length;
  const verdict = clear.length === n ? 'reproduced' : beat.length === 0 ? 'not reproduced' : 'partly';
  return { verdict, diffs, beaten: beat.map(([a]) => a), clearlyBeaten: clear.map(([a]) => a) };
}
