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
  for (let k = 0; k < c.budget.ladder.length; k++) {
    if (o.signal?.aborted) return c.budget.ladder[0];
    const rung = c.budget.ladder[k];
    if (!b.curve.some((p) => p.tag === budgetTag(rung))) {
      const t0 = performance.now();
      const get = await getModels(c.budget.L, ['proposed'], run.snrRange, 'mixed', seed, rung);
      if (o.signal?.aborted) return c.budget.ladder[0];
      const valNmseDb = validationNmse(run, get('proposed'), c.budget.L);
      b.curve.push({ tag: budgetTag(rung), ...rung, valNmseDb, seconds: (performance.now() - t0) / 1000 });
      log(`budget ${budgetTag(rung)}: validation NMSE ${valNmseDb.toFixed(2)} dB (L = ${c.budget.L})`);
      saveRecords(run.recordsPath, file);
    }
    if (k === 0) continue;
    const prev = b.curve.find((p) => p.tag === budgetTag(c.budget.ladder[k - 1]));
    const cur = b.curve.find((p) => p.tag === budgetTag(rung));
    if (prev.valNmseDb - cur.valNmseDb < c.budget.tolDb) {
      b.chosen = c.budget.ladder[k - 1];
      b.converged = true;
      break;
    }
  }
  if (!b.chosen) {
    b.chosen = c.budget.ladder[c.budget.ladder.length - 1];
    b.converged = false;
  }
  log(
    `training budget: ${budgetTag(b.chosen)}${b.converged ? '' : ' (the ladder ended before the validation NMSE converged)'}`,
  );
  saveRecords(run.recordsPath, file);
  return b.chosen;
}
