#!/usr/bin/env node
/**
 * Child process of bf16.mjs for the accuracy half: one seed at one precision, set by the parent through
 * `FT_NATIVE_PRECISION` (with `FT_BACKEND=ft-native`, so that @ft/core's `initBackend()` can never fall back to `cpu`
 * silently). Prints one `RESULT {json}` line (children.mjs `runChild`).
 *
 *   node benchmarks/backend/bf16-worker.mjs --task transfer --seed 0 --budgets 10,100 [--test-size 0] [--max-steps n]
 *   node benchmarks/backend/bf16-worker.mjs --task ad --seed 0 --normal-class 0 --n 1000 --test-size 2000 --epochs 20
 *
 * transfer: @ft/core `transferRun` (MNIST-digit zoo ResNet-8 → Fashion-MNIST) for linear-probe, full fine-tuning and
 * scratch at each labels-per-class budget, at the fixed peak LRs (`DEFAULT_TRANSFER_LR`) and the transfer page's
 * protocol (30 epochs, ≥ 200 optimizer steps); the seed draws the labelled budget, the head initialisation and the
 * batch order. ad: @ft/mahalanobis-ad on one Fashion-MNIST class: the frozen Gaussian AD (`MahalanobisDetector`) and
 * `mahalanobisFinetune` (Adam, BatchNorm frozen, all epochs trained, test AUROC monitored per epoch); the seed draws
 * the training subsample of the normal class, its fit/val split, the test subsample, the batch order and the
 * pseudo-anomalies. Public APIs only.
 */
import { parseFlags } from '../flags.mjs';

const args = parseFlags(process.argv.slice(2));

/** The precision this child was started at, checked against what the backend reports. */
function wantedPrecision() {
  const p = process.env.FT_NATIVE_PRECISION;
  if (p !== 'fp32' && p !== 'bf16') throw new Error(`bf16-worker: FT_NATIVE_PRECISION must be fp32 or bf16, got ${p}`);
  return p;
}

const int = (key, dflt) => {
  const v = Number(args[key] ?? dflt);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${key} must be a non-negative integer, got ${args[key]}`);
  return v;
};

/**
 * Registers ft-native at the wanted precision and selects it. bf16 on a CPU without it is a result
 * (`{ unavailable }`), not a crash; anything else unavailable is an error.
 */
async function setUp() {
  const precision = wantedPrecision();
  const native = await import('@ft/tfjs-backend-native');
  const r = native.registerNativeBackend({ precision });
  if (!r.ok) {
    if (r.code === 'BACKEND_UNAVAILABLE' && precision === 'bf16') return { precision, unavailable: r.reason };
    throw new Error(`ft-native unavailable: ${r.reason}`);
  }
  const core = await import('@ft/core');
  const backend = await core.initBackend({ log: () => {} });
  const info = native.nativeInfo();
  if (backend.name !== 'ft-native' || info.precision !== precision) {
    throw new Error(`bf16-worker: asked for ft-native at ${precision}, got ${backend.name} at ${info.precision}`);
  }
  return { precision, native, core, backend };
}

/** What shows that the precision really ran: oneDNN's implementations and the bf16 conversion counts. */
function nativeEvidence(native) {
  const info = native.nativeInfo();
  return {
    precision: info.precision,
    isa: info.isa,
    threads: info.threads,
    bf16Conversions: info.bf16Conversions,
    convImpls: info.convImpls ?? [],
  };
}

async function transfer(env) {
  const { core } = env;
  const { labelledBudget, loadSource, loadTarget } = await import('../hparams/transfer-objective.mjs');
  const seed = int('seed');
  const budgets = String(args.budgets ?? '10,100')
    .split(',')
    .map(Number);
  if (budgets.some((b) => !Number.isInteger(b) || b < 1))
    throw new Error(`--budgets: positive integers, got ${args.budgets}`);
  const testSize = int('test-size', 0);
  const maxSteps = args['max-steps'] !== undefined ? int('max-steps') : undefined;
  const protocol = { epochs: int('epochs', 30), minSteps: int('min-steps', 200), ...(maxSteps ? { maxSteps } : {}) };
  const { train, test } = await loadTarget({ testSize });
  const { freshSource, zooName } = await loadSource({ arch: 'resnet8', backend: env.backend });
  const runs = [];
  for (const budget of budgets) {
    const labelled = labelledBudget(train, budget, seed);
    for (const method of core.TRANSFER_METHODS) {
      const t0 = performance.now();
      const source = method === 'scratch' ? null : await freshSource();
      const r = await core.transferRun({ method, source, arch: 'resnet8', train: labelled, test, ...protocol, seed });
      const seconds = (performance.now() - t0) / 1000;
      runs.push({
        budget,
        method,
        lr: core.DEFAULT_TRANSFER_LR[method],
        accuracy: r.test.accuracy,
        steps: r.steps,
        trainSize: r.trainSize,
        testSize: r.test.n,
        seconds,
      });
      process.stderr.write(
        `[bf16-worker] ${env.precision} seed ${seed} ${budget}/class ${method}: ${(100 * r.test.accuracy).toFixed(2)} % (${seconds.toFixed(0)} s)\n`,
      );
      r.dispose();
    }
  }
  return { source: `zoo:${zooName}`, protocol, runs };
}

async function anomalyDetection(env) {
  const { core } = env;
  const mad = await import('@ft/mahalanobis-ad');
  const seed = int('seed');
  const normalClass = int('normal-class', 0);
  const n = int('n', 1000);
  const testSize = int('test-size', 2000);
  const epochs = int('epochs', 20);
  const lr = Number(args.lr ?? 1e-4);
  const batchSize = int('batch', 32);
  const backboneRef = 'zoo:mnist-resnet8';
  const train = await core.loadFashionMnist({ split: 'train' });
  const test = await core.loadFashionMnist({ split: 'test' });
  const task = mad.oneClassTask(train, test, {
    normalClass,
    trainSubsample: n,
    ...(testSize > 0 ? { testSubsample: testSize } : {}),
    seed,
  });
  const t0 = performance.now();
  const frozenModel = await core.loadModelRef(backboneRef);
  const det = await new mad.MahalanobisDetector(frozenModel, { backboneRef }).fit(task.train, { statsFrom: task.val });
  const frozen = (await det.evaluate(task.test, task.testLabels)).imageAUROC;
  const frozenSeconds = (performance.now() - t0) / 1000;
  frozenModel.dispose();
  const t1 = performance.now();
  const model = await core.loadModelRef(backboneRef);
  const res = await mad.mahalanobisFinetune(model, {
    train: task.train,
    val: task.val,
    epochs,
    lr,
    batchSize,
    patience: null,
    restoreBest: false,
    monitor: { images: task.test, labels: task.testLabels },
    rng: core.createRng(seed).fork('bf16-ad-finetune'),
  });
  const finetuneSeconds = (performance.now() - t1) / 1000;
  res.gaussian.dispose();
  model.dispose();
  const history = res.history.map((e) => ({
    epoch: e.epoch,
    loss: e.loss,
    valAUROC: e.valAUROC,
    test: e.monitorAUROC,
  }));
  const es = mad.earlyStopEpoch(res.history, 3);
  process.stderr.write(
    `[bf16-worker] ${env.precision} seed ${seed} AD class ${normalClass}: frozen ${frozen.toFixed(4)}, fine-tuned ${history.at(-1).test.toFixed(4)} (${(frozenSeconds + finetuneSeconds).toFixed(0)} s)\n`,
  );
  return {
    backbone: backboneRef,
    normalClass,
    n: task.train.size,
    nVal: task.val.size,
    testSize: task.test.size,
    epochs,
    lr,
    batchSize,
    auroc: {
      frozen,
      finetuned: history.at(-1).test,
      earlyStopped: history[es].test,
    },
    earlyStopEpoch: es,
    history,
    seconds: { frozen: frozenSeconds, finetune: finetuneSeconds },
  };
}

async function main() {
  const task = args.task;
  if (task !== 'transfer' && task !== 'ad') throw new Error(`--task must be transfer or ad, got ${task}`);
  const t0 = performance.now();
  const env = await setUp();
  const head = { task, seed: int('seed'), precision: env.precision };
  if (env.unavailable) {
    process.stdout.write(`RESULT ${JSON.stringify({ ...head, unavailable: env.unavailable })}\n`);
    return;
  }
  const out = task === 'transfer' ? await transfer(env) : await anomalyDetection(env);
  const result = {
    ...head,
    ...out,
    native: nativeEvidence(env.native),
    seconds: (performance.now() - t0) / 1000,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
