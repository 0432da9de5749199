/**
 * CLI commands of @ft/adv-finetune, mounted by `@ft/cli` as `ft adv attack | train | finetune | eval`. They parse
 * nothing themselves (the CLI does) and call the public API only.
 *
 *   ft adv eval --model <dir> --dataset fashion-mnist --attack pgd --eps 0.1 --steps 20 --restarts 1 --json
 *     → { clean, robust, n }
 *   ft adv attack --model <dir> --attack apgd --eps 0.1 --limit 256 --out adv.npy
 *   ft adv train --arch tinyCnn --method madry --eps 0.1 --alpha 0.025 --steps 7 --epochs 10 --out model/
 *   ft adv finetune --model pretrained/ --epochs 2 --schedule slow-start-fast-decay --warm-fraction 0.7 --out aft/
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  assertModelFitsData,
  batches,
  buildBackbone,
  type CommandContext,
  type CommandOption,
  type CommandSpec,
  constantLr,
  cyclicLr,
  defineCommand,
  encodeNpy,
  type ImageDataset,
  InvalidArgumentError,
  listBackbones,
  loadDatasetSpec,
  loadModelRef,
  npyArray,
  oneCycleLr,
  piecewiseDecay,
  type ScheduleSpec,
  saveModel,
  sequential,
  stratifiedSplit,
  subset,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { adversarialTrain, type TrainingMethod } from './adversarial-train.js';
import { APGD } from './apgd.js';
import type { Attack } from './attack.js';
import { evaluateRobustness } from './evaluate-robustness.js';
import { FGSM } from './fgsm.js';
import { correctMask } from './losses.js';
import { logitsOf, resolveOutputKind } from './model-output.js';
import { PassCounter } from './pass-counter.js';
import { PGD, PGDL2 } from './pgd.js';
import { slowStartFastDecay } from './schedules.js';

/** Attack names the CLI accepts. */
export const CLI_ATTACKS = ['fgsm', 'fgsm-rs', 'pgd', 'pgdl2', 'apgd', 'apgd-dlr'] as const;
/** Schedule names the CLI accepts. */
export const CLI_SCHEDULES = ['slow-start-fast-decay', 'piecewise', 'cyclic', 'one-cycle', 'constant'] as const;

type Args = CommandContext['args'];
const num = (a: Args, k: string): number | undefined => (a[k] === undefined ? undefined : Number(a[k]));

const attackOptions: Record<string, CommandOption> = {
  attack: { type: 'string', description: 'Attack', choices: CLI_ATTACKS, default: 'pgd' },
  eps: { type: 'number', description: 'Perturbation budget ε (L∞ for all but pgdl2)', default: 0.1, min: 0 },
  alpha: { type: 'number', description: 'Step size α (default ε/4; pgdl2 ε/5; fgsm-rs 1.25ε)', exclusiveMin: 0 },
  steps: { type: 'number', description: 'Attack iterations (default 20; apgd 100)', integer: true, min: 1 },
  restarts: {
    type: 'number',
    description: 'Random restarts (worst case kept per example)',
    default: 1,
    integer: true,
    min: 1,
  },
  targeted: { type: 'boolean', description: 'Targeted attack (random other class as target)', default: false },
};

/** Builds the attack named in the CLI arguments. */
export function attackFromArgs(model: tfl.LayersModel, a: Args, seed = 0): Attack {
  const name = String(a.attack ?? 'pgd');
  const eps = num(a, 'eps') ?? 0.1;
  const alpha = num(a, 'alpha');
  const restarts = num(a, 'restarts') ?? 1;
  const targeted = Boolean(a.targeted);
  const base = { targeted, seed };
  switch (name) {
    case 'fgsm':
      return new FGSM(model, { ...base, eps, ...(alpha !== undefined ? { alpha } : {}) });
    case 'fgsm-rs':
      return new FGSM(model, { ...base, eps, randomStart: true, ...(alpha !== undefined ? { alpha } : {}) });
    case 'pgd':
    case 'pgdl2': {
      const o = { ...base, eps, steps: num(a, 'steps') ?? 20, restarts, ...(alpha !== undefined ? { alpha } : {}) };
      return name === 'pgd' ? new PGD(model, o) : new PGDL2(model, o);
    }
    case 'apgd':
    case 'apgd-dlr':
      return new APGD(model, {
        ...base,
        eps,
        steps: num(a, 'steps') ?? 100,
        restarts,
        loss: name === 'apgd' ? 'ce' : 'dlr',
      });
    default:
      throw new InvalidArgumentError(`unknown attack '${name}'; expected one of ${CLI_ATTACKS.join(', ')}`);
  }
}

/** The first `limit` test images (all for 0). */
async function testSet(dataset: string, limit: number): Promise<ImageDataset> {
  const test = await loadDatasetSpec(dataset, { split: 'test' });
  if (limit > 0 && limit < test.size) {
    return subset(
      test,
      Int32Array.from({ length: limit }, (_, i) => i),
    );
  }
  return test;
}

/** `ft adv eval`. */
export const evalCommand = defineCommand({
  group: 'adv',
  name: 'eval',
  description: 'Clean and robust accuracy of a saved classifier under an attack → { clean, robust, n }',
  examples: [
    'ft adv eval --model models/aft --attack pgd --eps 0.1 --steps 20 --limit 1000',
    'ft adv eval --model models/aft --attack apgd-dlr --eps 0.1 --sanity --json',
  ],
  options: {
    model: { type: 'string', description: 'zoo:<name>, a model directory, model.json or URL', required: true },
    dataset: { type: 'string', description: 'fashion-mnist | mnist | folder:<dir>', default: 'fashion-mnist' },
    ...attackOptions,
    limit: {
      type: 'number',
      description: 'Evaluate on the first N test images (0 = all)',
      default: 0,
      integer: true,
      min: 0,
    },
    'batch-size': { type: 'number', description: 'Batch size', default: 256, integer: true, min: 1 },
    sanity: { type: 'boolean', description: 'Also run the gradient-masking checks (adds `sanity`)', default: false },
  },
  async run(ctx) {
    const test = await testSet(String(ctx.args.dataset), Number(ctx.args.limit));
    const model = await loadModelRef(String(ctx.args.model));
    try {
      assertModelFitsData(model, test.shape, `${ctx.args.dataset} (test)`);
      return await evalRun(ctx, model, test);
    } finally {
      model.dispose();
    }
  },
});

async function evalRun(ctx: CommandContext, model: tfl.LayersModel, test: ImageDataset) {
  const attack = attackFromArgs(model, ctx.args, ctx.seed);
  ctx.log(`adv eval: ${attack.name} on ${test.size} ${ctx.args.dataset} test images (backend ${ctx.backend.name})`);
  const bar = ctx.progress(test.size, 'eval');
  const r = await evaluateRobustness(model, test, {
    attacks: [attack],
    batchSize: Number(ctx.args['batch-size']),
    rng: ctx.rng.fork('adv-eval'),
    signal: ctx.signal,
    onBatch: (d) => bar.update(d),
    ...(ctx.args.sanity ? { sanity: { eps: attack.eps } } : {}),
  });
  bar.done();
  // the CLI prints the result (clean, robust, n) once, as a table or as JSON
  return { clean: r.clean, robust: r.worstCase, n: r.n, ...(r.sanity ? { sanity: r.sanity } : {}) };
}

/** `ft adv attack`. */
export const attackCommand = defineCommand({
  group: 'adv',
  name: 'attack',
  description: 'Craft adversarial examples for test images, report success and distortion, optionally save them (.npy)',
  examples: ['ft adv attack --model models/fmnist --attack apgd --eps 0.1 --limit 256 --out adv.npy'],
  options: {
    model: { type: 'string', description: 'zoo:<name>, a model directory, model.json or URL', required: true },
    dataset: { type: 'string', description: 'fashion-mnist | mnist | folder:<dir>', default: 'fashion-mnist' },
    ...attackOptions,
    limit: {
      type: 'number',
      description: 'Attack the first N test images (0 = all)',
      default: 256,
      integer: true,
      min: 0,
    },
    out: {
      type: 'string',
      description: 'Write the adversarial images to this .npy file (labels to <name>-labels.npy)',
      output: 'file',
    },
  },
  async run(ctx) {
    const test = await testSet(String(ctx.args.dataset), Number(ctx.args.limit));
    const model = await loadModelRef(String(ctx.args.model));
    try {
      assertModelFitsData(model, test.shape, `${ctx.args.dataset} (test)`);
      return await attackRun(ctx, model, test);
    } finally {
      model.dispose();
    }
  },
});

async function attackRun(ctx: CommandContext, model: tfl.LayersModel, test: ImageDataset) {
  const attack = attackFromArgs(model, ctx.args, ctx.seed);
  const kind = resolveOutputKind(model, attack.output);
  const n = test.size;
  const [h, w, c] = test.shape;
  const per = h * w * c;
  const advAll = new Float32Array(n * per);
  const labels = new Int32Array(n);
  const linf: number[] = [];
  const l2: number[] = [];
  let clean = 0;
  let robust = 0;
  let i0 = 0;
  const bar = ctx.progress(n, 'attack');
  for await (const b of batches(test, { batchSize: 256, sampler: sequential() })) {
    const bs = b.y.shape[0];
    try {
      const adv = await attack.runAsync(b.x, b.y, ctx.rng.fork(`adv-attack-${i0}`));
      const [okClean, okAdv, dInf, d2] = tf.tidy(() => {
        const d = tf.reshape(tf.sub(adv, b.x), [bs, -1]);
        return [
          correctMask(logitsOf(model, b.x, kind, false), b.y),
          correctMask(logitsOf(model, adv, kind, false), b.y),
          tf.max(tf.abs(d), 1),
          tf.sqrt(tf.sum(tf.square(d), 1)),
        ];
      });
      try {
        const [cv, av, dv, lv, xv, yv] = await Promise.all([
          okClean.data(),
          okAdv.data(),
          dInf.data(),
          d2.data(),
          adv.data(),
          b.y.data(),
        ]);
        for (let k = 0; k < bs; k++) {
          clean += cv[k];
          robust += cv[k] * av[k];
        }
        linf.push(...dv);
        l2.push(...lv);
        advAll.set(xv, i0 * per);
        labels.set(yv, i0);
      } finally {
        tf.dispose([adv, okClean, okAdv, dInf, d2]);
      }
    } finally {
      b.dispose();
    }
    i0 += bs;
    bar.update(i0);
  }
  bar.done();
  let out: string | undefined;
  if (ctx.args.out) {
    out = path.resolve(String(ctx.args.out));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, encodeNpy(npyArray('float32', [n, h, w, c], advAll)));
    fs.writeFileSync(`${out.replace(/\.npy$/, '')}-labels.npy`, encodeNpy(npyArray('int32', [n], labels)));
  }
  const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
  return {
    attack: attack.name,
    n,
    clean: clean / n,
    robust: robust / n,
    successRate: clean > 0 ? 1 - robust / clean : 0,
    meanLinf: mean(linf),
    maxLinf: Math.max(...linf),
    meanL2: mean(l2),
    passesPerExample: attack.passesPerExample(),
    ...(out ? { out } : {}),
  };
}

/** Schedule from CLI arguments. */
export function scheduleFromArgs(a: Args, defaultName: string, defaultLr: number): ScheduleSpec {
  const name = String(a.schedule ?? defaultName);
  const peakLr = num(a, 'lr') ?? defaultLr;
  switch (name) {
    case 'slow-start-fast-decay':
      return slowStartFastDecay({
        peakLr,
        warmFraction: num(a, 'warm-fraction') ?? 0.7,
        decay: (a.decay as 'linear' | 'exp') ?? 'linear',
      });
    case 'piecewise':
      return piecewiseDecay({ peakLr });
    case 'cyclic':
      return cyclicLr({ peakLr });
    case 'one-cycle':
      return oneCycleLr({ peakLr });
    case 'constant':
      return constantLr(peakLr);
    default:
      throw new InvalidArgumentError(`unknown schedule '${name}'; expected one of ${CLI_SCHEDULES.join(', ')}`);
  }
}

const trainOptions: Record<string, CommandOption> = {
  dataset: { type: 'string', description: 'fashion-mnist | mnist | folder:<dir>', default: 'fashion-mnist' },
  method: {
    type: 'string',
    description: 'Objective',
    choices: ['madry', 'trades', 'fast-at', 'natural'],
    default: 'madry',
  },
  eps: { type: 'number', description: 'L∞ budget ε', default: 0.1, min: 0 },
  alpha: { type: 'number', description: 'Attack step α (madry/trades default ε/4, fast-at 1.25ε)', exclusiveMin: 0 },
  steps: { type: 'number', description: 'Training attack steps K (madry, trades)', default: 7, integer: true, min: 1 },
  beta: { type: 'number', description: 'TRADES β', default: 6, min: 0 },
  'batch-size': { type: 'number', description: 'Batch size', default: 128, integer: true, min: 1 },
  schedule: { type: 'string', description: 'LR schedule', choices: CLI_SCHEDULES },
  lr: { type: 'number', description: 'Peak learning rate', exclusiveMin: 0 },
  'warm-fraction': {
    type: 'number',
    description: 'slow-start-fast-decay: warm-up fraction p',
    default: 0.7,
    exclusiveMin: 0,
    exclusiveMax: 1,
  },
  decay: {
    type: 'string',
    description: 'slow-start-fast-decay: decay shape',
    choices: ['linear', 'exp'],
    default: 'linear',
  },
  'train-size': {
    type: 'number',
    description: 'Train on a stratified subset of N images (0 = all)',
    default: 0,
    integer: true,
    min: 0,
  },
  'val-size': {
    type: 'number',
    description: 'Held-out validation images (robust accuracy per epoch; 0 = none)',
    default: 0,
    integer: true,
    min: 0,
  },
  'eval-limit': {
    type: 'number',
    description: 'Report PGD-20 accuracy on the first N test images (0 = skip)',
    default: 1000,
    integer: true,
    min: 0,
  },
  out: {
    type: 'string',
    description: 'Save the trained model (LayersModel format) to this directory',
    output: 'dir',
  },
};

async function trainRun(ctx: CommandContext, model: tfl.LayersModel, defaults: { schedule: string; lr: number }) {
  const a = ctx.args;
  const dataset = String(a.dataset);
  const full = await loadDatasetSpec(dataset, { split: 'train' });
  assertModelFitsData(model, full.shape, `${dataset} (train)`);
  const trainSize = Number(a['train-size']);
  const valSize = Number(a['val-size']);
  let train: ImageDataset = full;
  let val: ImageDataset | null = null;
  if (valSize > 0) {
    const s = stratifiedSplit(full.labels, { testSize: valSize, seed: `${ctx.seed}-val` });
    val = subset(full, s.test);
    train = subset(full, s.train);
  }
  if (trainSize > 0 && trainSize < train.size) {
    train = subset(train, stratifiedSplit(train.labels, { testSize: trainSize, seed: `${ctx.seed}-train` }).test);
  }
  const method = String(a.method) as TrainingMethod;
  const schedule = scheduleFromArgs(a, defaults.schedule, defaults.lr);
  const counter = new PassCounter();
  ctx.log(`adv ${method}: ${train.size} ${dataset} images, ${schedule.name}, backend ${ctx.backend.name}`);
  const r = await adversarialTrain(model, train, {
    method,
    eps: Number(a.eps),
    ...(a.alpha !== undefined ? { alpha: Number(a.alpha) } : {}),
    steps: Number(a.steps),
    beta: Number(a.beta),
    epochs: Number(a.epochs),
    batchSize: Number(a['batch-size']),
    schedule,
    counter,
    rng: ctx.rng.fork('adv-train'),
    signal: ctx.signal,
    log: (m) => ctx.log(m),
    ...(val ? { val: { data: val } } : {}),
  });
  let out: string | undefined;
  if (a.out) {
    // adversarialTrain's fit has checked the weights after the last step: diverged weights never reach this save
    out = path.resolve(String(a.out));
    await saveModel(model, out);
  }
  const evalLimit = Number(a['eval-limit']);
  let test: { clean: number; robust: number; n: number; attack: string } | undefined;
  if (evalLimit > 0) {
    const ds = await testSet(dataset, evalLimit);
    const eps = Number(a.eps);
    const atk = new PGD(model, { eps, alpha: eps / 10, steps: 20, seed: ctx.seed });
    const e = await evaluateRobustness(model, ds, {
      attacks: [atk],
      rng: ctx.rng.fork('adv-test'),
      signal: ctx.signal,
    });
    test = { clean: e.clean, robust: e.worstCase, n: e.n, attack: atk.name };
  }
  return {
    method,
    schedule: schedule.name,
    trainSize: train.size,
    epochs: Number(a.epochs),
    steps: r.steps,
    passes: r.passes,
    seconds: Math.round(r.ms / 100) / 10,
    ...(r.valCurve.length ? { valCurve: r.valCurve, bestEpoch: r.bestEpoch, overfitGap: r.overfitGap } : {}),
    ...(test ? { test } : {}),
    backend: ctx.backend.name,
    seed: ctx.seed,
    ...(out ? { out } : {}),
  };
}

/** `ft adv train`. */
export const trainCommand = defineCommand({
  group: 'adv',
  name: 'train',
  description: 'Adversarially train a classifier from scratch (PGD-AT, TRADES, Fast-AT or natural) and save it',
  examples: [
    'ft adv train --arch tinyCnn --method madry --eps 0.1 --alpha 0.025 --steps 7 --epochs 10 --out models/robust',
  ],
  options: {
    arch: { type: 'string', description: 'Backbone', default: 'tinyCnn', choices: listBackbones() },
    width: { type: 'number', description: 'Channel-width multiplier', default: 1, exclusiveMin: 0 },
    epochs: { type: 'number', description: 'Epochs', default: 10, integer: true, min: 1 },
    ...trainOptions,
  },
  async run(ctx) {
    const probe = await loadDatasetSpec(String(ctx.args.dataset), { split: 'test' });
    const { model } = buildBackbone(String(ctx.args.arch), {
      inputShape: probe.shape,
      numClasses: probe.numClasses,
      width: Number(ctx.args.width),
      seed: ctx.seed,
    });
    const method = String(ctx.args.method);
    try {
      return await trainRun(ctx, model, {
        schedule: method === 'fast-at' ? 'cyclic' : 'piecewise',
        lr: method === 'fast-at' ? 0.2 : 0.05,
      });
    } finally {
      model.dispose();
    }
  },
});

/** `ft adv finetune`. */
export const finetuneCommand = defineCommand({
  group: 'adv',
  name: 'finetune',
  description: 'Adversarially fine-tune a pre-trained classifier (AFT; slow start, fast decay by default) and save it',
  examples: [
    'ft adv finetune --model models/fmnist --epochs 2 --schedule slow-start-fast-decay --warm-fraction 0.7 --out models/aft',
  ],
  options: {
    model: {
      type: 'string',
      description: 'Pre-trained model: zoo:<name>, a directory, model.json or URL',
      required: true,
    },
    epochs: { type: 'number', description: 'Epochs', default: 2, integer: true, min: 1 },
    ...trainOptions,
  },
  async run(ctx) {
    const model = await loadModelRef(String(ctx.args.model));
    try {
      return await trainRun(ctx, model, { schedule: 'slow-start-fast-decay', lr: 0.05 });
    } finally {
      model.dispose();
    }
  },
});

/** The commands `@ft/cli` mounts as `ft adv …`. */
export const commands: CommandSpec[] = [attackCommand, trainCommand, finetuneCommand, evalCommand];
