// The training budget chosen on validation loss: the proposed network is trained at `budget.L` with the first training
// seed on each rung of the ladder (steps per stage and samples doubling); the validation NMSE of each rung is measured
// on fresh realisations (mixed M and SNR, never the test set). The search stops at the first rung whose successor
// improves the validation NMSE by less than `tolDb`; that rung is chosen. The curve is kept in `file.budget`.
import { nmseDb, predictLearned, simulateMassiveAccess } from '@ft/jadce';
import { budgetTag } from './config.mjs';
import { saveRecords } from './records.mjs';

/** Validation NMSE (dB) of a proposed model: mean over the antenna counts of the ratio-of-sums NMSE. */
function validationNmse(run, model, L) {
  const { N, eps, Ms, budget, seed } = run.config;
  const vals = Ms.map((M) => {
    const data = simulateMassiveAccess({
      N,
      M,
      L,
      activity: eps,
      snrDb: run.snrRange,
      pilots: run.pilots.get(L),
      count: budget.valCount,
      rng: run.root.fork(`budget-val-L${L}-M${M}-seed${seed}`),
    });
    const res = predictLearned(model, data, { beta: new Float64Array(N).fill(1) });
    return nmseDb(res.X, data.X);
  });
  return vals.reduce((a, b) => a + b, 0) / vals.length;
}

/**
 * The stopping rule on the validation curve measured so far (`vals[k]` = validation NMSE in dB of `ladder[k]`):
 * the first rung whose successor improves by less than `tolDb` is chosen (converged); with every rung measured and no
 * such rung, the last one (not converged); otherwise null (measure the next rung).
 * @param {{ stepsPerStage: number, samples: number }[]} ladder
 * @param {number[]} vals
 * @param {number} tolDb
 */
export function pickBudget(ladder, vals, tolDb) {
  for (let k = 1; k < vals.length; k++) {
    if (vals[k - 1] - vals[k] < tolDb) return { chosen: ladder[k - 1], converged: true };
  }
  if (vals.length >= ladder.length) return { chosen: ladder[ladder.length - 1], converged: false };
  return null;
}

/**
 * Chooses (or reads back from the records) the training budget; resumable rung by rung.
 * @param {object} run the benchmark run state (see bench.mjs)
 * @param {Function} getModels the model loader (train.mjs)
 * @returns {Promise<{ stepsPerStage: number, samples: number }>}
 */
export async function chooseBudget(run, getModels) {
  const { config: c, file, o } = run;
  const log = o.log ?? (() => {});
  if (c.budget.fixed) return c.budget.fixed;
  file.budget ??= { L: c.budget.L, tolDb: c.budget.tolDb, curve: [], chosen: null };
  const b = file.budget;
  if (b.chosen) return b.chosen;
  const seed = c.trainSeeds[0];
  const ladder = c.budget.ladder;
  const vals = () =>
    ladder.map((r) => b.curve.find((p) => p.tag === budgetTag(r))?.valNmseDb).filter((v) => v !== undefined);
  for (let k = 0; k < ladder.length; k++) {
    if (o.signal?.aborted) return ladder[0];
    const rung = ladder[k];
    if (!b.curve.some((p) => p.tag === budgetTag(rung))) {
      const t0 = performance.now();
      const get = await getModels(c.budget.L, ['proposed'], run.snrRange, 'mixed', seed, rung);
      if (o.signal?.aborted) return ladder[0];
      const valNmseDb = validationNmse(run, get('proposed'), c.budget.L);
      b.curve.push({ tag: budgetTag(rung), ...rung, valNmseDb, seconds: (performance.now() - t0) / 1000 });
      log(`budget ${budgetTag(rung)}: validation NMSE ${valNmseDb.toFixed(2)} dB (L = ${c.budget.L})`);
      saveRecords(run.recordsPath, file);
    }
    const pick = pickBudget(ladder, vals(), c.budget.tolDb);
    if (pick) {
      b.chosen = pick.chosen;
      b.converged = pick.converged;
      break;
    }
  }
  log(
    `training budget: ${budgetTag(b.chosen)}${b.converged ? '' : ' (the ladder ended before the validation NMSE converged)'}`,
  );
  saveRecords(run.recordsPath, file);
  return b.chosen;
}
