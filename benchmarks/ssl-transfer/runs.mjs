// One benchmark run of trainSslTransfer and its record (a plain JSON object, one line of records.jsonl).
import { sslSplit, trainSslTransfer } from '@ft/ssl-transfer';

/** Keeps every `every`-th value of a per-iteration series (NaN → null), for the plots. */
function thin(xs, every) {
  const out = [];
  for (let i = every - 1; i < xs.length; i += every) out.push(Number.isNaN(xs[i]) ? null : xs[i]);
  return out;
}

/** The key that identifies a run in the records (a resumed benchmark skips keys it already has). */
export function runKey(r) {
  return [r.phase, r.arm, r.budget, r.seed, r.lr, r.lambdaKc ?? '-', r.lambdaRc ?? '-', r.iterations].join('|');
}

/**
 * Trains one arm on one split and returns its record. `data` holds {train, test} (Fashion-MNIST), `source` the
 * pre-trained model (left unchanged), `cfg` {iterations, batch, evalEvery, unlabeledLimit, testLimit}.
 */
export async function runArm({ arm, budget, seed, lr, lambdaKc, lambdaRc, phase, data, source, cfg, log }) {
  const split = sslSplit(data.train, { labelsPerClass: budget, seed });
  const r = await trainSslTransfer({
    source,
    labeled: split.labeled,
    unlabeled: split.unlabeled,
    validation: split.validation,
    ...(phase === 'main' ? { test: data.test } : {}),
    alg: arm.alg,
    akc: arm.akc ? { lambda: lambdaKc, ungated: Boolean(arm.ungated) } : false,
    arc: arm.arc ? { lambda: lambdaRc, ungated: Boolean(arm.ungated) } : false,
    ...(arm.init === 'scratch' ? { init: 'scratch', arch: cfg.arch } : {}),
    ...(arm.ema !== undefined ? { ema: arm.ema } : {}),
    iterations: cfg.iterations,
    evalEvery: cfg.evalEvery,
    batch: cfg.batch,
    lr,
    seed,
    log,
  });
  try {
    return {
      phase,
      arm: arm.id,
      budget,
      seed,
      lr,
      ...(arm.akc ? { lambdaKc } : {}),
      ...(arm.arc ? { lambdaRc } : {}),
      iterations: r.iterations,
      labeled: split.labeled.size,
      validation: split.validation.size,
      unlabeled: split.unlabeled.size,
      valAccuracy: r.valAccuracy,
      lastValAccuracy: r.lastValAccuracy,
      selectedStep: r.selectedStep,
      ...(r.testAccuracy !== undefined ? { testAccuracy: r.testAccuracy } : {}),
      ...(r.akcRatio !== undefined ? { akcRatio: r.akcRatio } : {}),
      ...(r.arcRatio !== undefined ? { arcRatio: r.arcRatio, arcRatioLabeled: r.arcRatioLabeled } : {}),
      ...(r.maskRate !== undefined ? { maskRate: r.maskRate } : {}),
      curve: r.curve,
      series: Object.fromEntries(Object.entries(r.series).map(([k, xs]) => [k, thin(xs, cfg.thin)])),
      thin: cfg.thin,
      seconds: Math.round(r.ms / 100) / 10,
    };
  } finally {
    r.dispose();
  }
}
