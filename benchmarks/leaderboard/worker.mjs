// One leaderboard job, run INSIDE the leaderboard's app (where the @ft packages are installed from their published
// tarballs, see run.mjs): one method at one labelled budget. It spends the protocol's trials on the selection split
// through an @ft/hparams study (journal file: a resumed job continues the study), then trains the chosen
// configuration once per seed and scores the test set once per run. Each finished trial and run is appended to the
// records file as one JSON line.
//
//   node worker.mjs '<job JSON>'   job: { method, budget, seeds, quick, records, journal, tag, native, commit }
import fs from 'node:fs';
import { budgetSplit, evaluateClassifier, initBackend, loadFashionMnist, loadModelRef, subset } from '@ft/core';
import { createStudy, journalFileStorage, TPESampler } from '@ft/hparams';
import * as tf from '@tensorflow/tfjs-core';
import { loadEntries } from './entry.mjs';
import { FULL, QUICK, ROBUST_SCORED } from './protocol.mjs';

const job = JSON.parse(process.argv[2]);
/** Robust accuracy (PGD), from @ft/adv-finetune: loaded only by the jobs that score it. */
const robustAccuracy = async (...a) => (await import('./entries/adv-finetune.mjs')).robustAccuracy(...a);
const cfg = job.quick ? QUICK : FULL;
const log = (m) => process.stderr.write(`${m}\n`);
// The leaderboard is fp32: an FT_NATIVE_PRECISION=bf16 in the environment must not leak into its numbers.
process.env.FT_NATIVE_PRECISION = 'fp32';
const backend = await initBackend();
const entry = (await loadEntries()).find((e) => e.id === job.method);
if (!entry) throw new Error(`no leaderboard entry '${job.method}'`);
log(`[leaderboard] worker: ${entry.id} (${entry.pkg}) at ${job.budget} labels/class on ${backend.name}`);

const train = await loadFashionMnist({ split: 'train' });
const fullTest = await loadFashionMnist({ split: 'test' });
const first = (d, n) =>
  subset(
    d,
    Array.from({ length: Math.min(n, d.size) }, (_, i) => i),
  );
const test = cfg.testLimit ? first(fullTest, cfg.testLimit) : fullTest;
const source = await loadModelRef(cfg.source);
const data = { train, test };

/** The split of a seed: core budgetSplit's labelled images and validation hold-out, and the unlabelled pool. */
function splitFor(seed) {
  const s = budgetSplit(train, { labelsPerClass: job.budget, seed });
  const used = new Set([...s.indices.labeled, ...s.indices.validation]);
  const rest = [];
  for (let i = 0; i < train.size && rest.length < cfg.unlabeledLimit; i++) if (!used.has(i)) rest.push(i);
  return { labeled: s.labeled, validation: s.validation, unlabeled: subset(train, rest) };
}

const save = (rec) => {
  const full = {
    ...rec,
    method: entry.id,
    budget: job.budget,
    tag: job.tag,
    backend: backend.name,
    native: job.native,
  };
  fs.appendFileSync(job.records, `${JSON.stringify(full)}\n`);
  return full;
};

/** Trains one configuration on `split` and scores it; frees everything it made. */
async function runOnce(split, seed, params, { scoreTest }) {
  const before = tf.memory().numTensors;
  const t0 = performance.now();
  const r = await entry.train({ data, source, split, seed, cfg }, params);
  const trainSeconds = (performance.now() - t0) / 1000;
  const out = { trainSeconds: Math.round(trainSeconds * 10) / 10, passes: r.passes, steps: r.steps ?? cfg.steps };
  try {
    const t1 = performance.now();
    const val = await evaluateClassifier(r.model, split.validation);
    out.valAccuracy = val.accuracy;
    out.valLoss = val.loss;
    if (entry.selectOn === 'robust') out.valRobust = (await robustAccuracy(r.model, split.validation, cfg)).accuracy;
    if (scoreTest) {
      const ev = await evaluateClassifier(r.model, test);
      out.testAccuracy = ev.accuracy;
      out.testN = ev.n;
      if (ROBUST_SCORED(entry)) {
        const rob = await robustAccuracy(r.model, test, cfg);
        out.robustAccuracy = rob.accuracy;
        out.robustClean = rob.clean;
        out.robustN = rob.n;
      }
    }
    out.evalSeconds = Math.round((performance.now() - t1) / 100) / 10;
  } finally {
    r.dispose();
  }
  out.leakedTensors = tf.memory().numTensors - before;
  return out;
}

// 1. Selection: the same number of trials for every method, on the selection split's validation images.
const selSplit = splitFor(cfg.selectSeed);
const storage = journalFileStorage(job.journal);
const study = await createStudy({
  studyName: `${entry.id}-K${job.budget}-${job.tag}`,
  storage,
  loadIfExists: true,
  direction: 'maximize',
  sampler: new TPESampler({ seed: job.budget }),
});
// finished trials, whatever their state: a resumed job never adds trials beyond the protocol's budget
const done = study.trials.filter((t) => t.state === 'complete' || t.state === 'fail' || t.state === 'pruned').length;
if (done < cfg.trials) {
  await study.optimize(
    async (trial) => {
      const params = entry.space(trial);
      try {
        const r = await runOnce(selSplit, cfg.selectSeed, params, { scoreTest: false });
        // validation accuracy moves in steps of 1/|validation| (0.1 at 4 labels/class): ties are broken by the
        // validation cross-entropy; robust selection: robust accuracy, then clean
        const value =
          entry.selectOn === 'robust'
            ? r.valRobust + r.valAccuracy / 1000
            : r.valAccuracy - cfg.lossTieBreak * Math.min(r.valLoss, 50);
        save({ phase: 'select', trial: trial.number, params, value, ...r });
        log(
          `[leaderboard] ${entry.id} K=${job.budget} trial ${trial.number} ${JSON.stringify(params)}: validation ${(100 * r.valAccuracy).toFixed(1)}% (${r.trainSeconds} s)`,
        );
        return value;
      } catch (e) {
        save({ phase: 'select', trial: trial.number, params, failed: String(e?.message ?? e) });
        log(
          `[leaderboard] ${entry.id} K=${job.budget} trial ${trial.number} ${JSON.stringify(params)} FAILED: ${e?.message ?? e}`,
        );
        throw e;
      }
    },
    { nTrials: cfg.trials - done },
  );
}
if (!study.trials.some((t) => t.state === 'complete'))
  throw new Error(`${entry.id} K=${job.budget}: every selection trial failed (see the records)`);
const best = study.bestTrial;
// the seeds of one cell share one configuration: a resumed job keeps the one its recorded runs used
const earlier = (fs.existsSync(job.records) ? fs.readFileSync(job.records, 'utf8').split('\n') : [])
  .filter((l) => l.includes(`"tag":"${job.tag}"`))
  .map((l) => JSON.parse(l))
  .find((r) => r.phase === 'main' && r.method === entry.id && r.budget === job.budget);
const params = earlier?.params ?? best.params;
if (earlier && JSON.stringify(earlier.params) !== JSON.stringify(best.params))
  log(
    `[leaderboard] ${entry.id} K=${job.budget}: keeping the recorded configuration ${JSON.stringify(earlier.params)}`,
  );
/** Parameters chosen within 5% (of the log range) of a bound of their search range. */
const edges = Object.entries(best.distributions ?? {}).flatMap(([name, d]) => {
  if (d.low === undefined || d.high === undefined) return [];
  const f = d.log ? Math.log : (x) => x;
  const u = (f(params[name]) - f(d.low)) / (f(d.high) - f(d.low));
  return u < 0.05 || u > 0.95 ? [name] : [];
});

// 2. The chosen configuration, once per seed; the test set is scored once per run.
for (const seed of job.seeds) {
  const r = await runOnce(splitFor(seed), seed, params, { scoreTest: true });
  save({ phase: 'main', seed, params, edges, selectTrial: earlier?.selectTrial ?? best.number, ...r });
  log(
    `[leaderboard] ${entry.id} K=${job.budget} seed ${seed}: test ${(100 * r.testAccuracy).toFixed(1)}%` +
      `${r.robustAccuracy !== undefined ? `, robust ${(100 * r.robustAccuracy).toFixed(1)}%` : ''} (${r.trainSeconds} s, ${r.leakedTensors} tensors left)`,
  );
}
await storage.close?.();
