/**
 * `trainSslTransfer`: semi-supervised transfer from a pre-trained classifier as the official code of Abuduweili et
 * al. (CVPR 2021) trains it: an imprinted new head, one of five SSL algorithms with optional AKC and ARC, SGD-Nesterov
 * without weight decay on BatchNorm and biases, the 7/16-cosine schedule, with-replacement loaders, an EMA teacher,
 * model selection on a validation split and checkpoint/resume through `fit` of @ft/core.
 */
import {
  buildBackbone,
  type Callback,
  type CheckpointOptions,
  type ClassifierEvaluation,
  cloneModel,
  cosine,
  createRng,
  evaluateClassifier,
  featureExtractor,
  fit,
  type History,
  type ImageDataset,
  InvalidArgumentError,
  replaceHead,
  ShapeError,
  sgd,
} from '@ft/core';
import { batchesSync } from '@ft/core/data';
import { checkPositiveInt } from '@ft/core/internal';
import { noDecayGroups } from '@ft/core/models';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkGateRatio } from '../regularisers/entropy-gate.js';
import { featureTap, penultimateLayerName } from '../regularisers/feature-tap.js';
import { checkThreshold } from '../ssl/pseudo-labels.js';
import { sslDataFn } from './data.js';
import { EmaTeacher } from './ema-teacher.js';
import {
  type AkcSettings,
  type ArcSettings,
  SSL_ALGORITHMS,
  type SslAlgorithm,
  SslObjective,
  unlabeledViewsOf,
} from './objective.js';
import { SslRunLog, type SslSeries, type SslValPoint } from './run-log.js';
import { defaultViews, type SslViews } from './views.js';

/** Defaults of {@link trainSslTransfer} (the spec's small-scale settings; the paper's CUB/CIFAR ones in comments). */
export const SSL_TRANSFER_DEFAULTS = Object.freeze({
  /** Labelled / unlabelled batch (paper: 64 / 64 on CUB, 64 / 448 on CIFAR-10). */
  batch: Object.freeze({ labeled: 32, unlabeled: 128 }),
  /** Peak learning rate (paper: 0.01 CUB, 0.001 CIFAR-10). */
  lr: 0.01,
  momentum: 0.9,
  /** Weight decay on kernels only (paper: 1e-4 CUB, 5e-4 CIFAR-10). */
  weightDecay: 5e-4,
  /** FixMatch / Pseudo-Label confidence threshold τ. */
  threshold: 0.95,
  /** EMA teacher decay. */
  emaDecay: 0.999,
  /** Iterations of the λ_KC / λ_RC warm-up (the code's `reg_warmup_iter`). */
  regWarmup: 100,
  /** ICT's Beta(α, α). */
  ictAlpha: 0.75,
  /** λ_KC when AKC is on without a λ. */
  akcLambda: 1,
  /** λ_RC when ARC is on without a λ (the paper's CUB value). */
  arcLambda: 50,
});

/**
 * Weight of the SSL term and its warm-up (fraction of the iterations) per algorithm: FixMatch 1 without warm-up (the
 * paper's CIFAR-10 setting); Pseudo-Label 1 and Mean Teacher 50 over 40% of the run (USB's defaults); ICT 100 over
 * 40% (the paper's CIFAR-10 coefficient; its 4,000-iteration warm-up scaled to the run).
 */
export const SSL_COEF_DEFAULTS: Readonly<Record<SslAlgorithm, { coef: number; warmup: number }>> = Object.freeze({
  supervised: { coef: 0, warmup: 0 },
  'pseudo-label': { coef: 1, warmup: 0.4 },
  fixmatch: { coef: 1, warmup: 0 },
  'mean-teacher': { coef: 50, warmup: 0.4 },
  ict: { coef: 100, warmup: 0.4 },
});

/** Options of {@link trainSslTransfer}. */
export interface TrainSslTransferOptions {
  /** The pre-trained classifier. It is not modified: the target is a copy, and AKC compares against it. */
  source: tfl.LayersModel;
  /** Labelled training images (class-balanced budget; see `sslSplit`). */
  labeled: ImageDataset;
  /** Unlabelled images (labels never read); same image shape as `labeled`. */
  unlabeled: ImageDataset;
  /** Labelled validation images: the ONLY data model selection sees. */
  validation: ImageDataset;
  /** Evaluation-only test set: scored once, after training and selection. */
  test?: ImageDataset;
  /** The SSL algorithm. */
  alg: SslAlgorithm;
  /** AKC (needs the source's head). Off when absent or false. */
  akc?: Partial<AkcSettings> | boolean;
  /** ARC. Off when absent or false. */
  arc?: Partial<ArcSettings> | boolean;
  /** `'pretrained'` (default): start from the source's weights with an imprinted head; `'scratch'`: the registered
   * backbone `arch`, randomly initialised (the "pre-training helps" control). */
  init?: 'pretrained' | 'scratch';
  /** Backbone registry name for `init: 'scratch'`. */
  arch?: string;
  /** Optimizer steps T. */
  iterations: number;
  /** Evaluate on validation every this many iterations. [max(1, round(T/20))] */
  evalEvery?: number;
  batch?: { labeled?: number; unlabeled?: number };
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Confidence threshold τ in (0, 1]. [0.95] */
  threshold?: number;
  /** Weight of L_SSL [per algorithm, see SSL_COEF_DEFAULTS]. */
  sslCoef?: number;
  /** Iterations of the SSL weight's linear warm-up [per algorithm]. */
  sslWarmup?: number;
  /** EMA teacher (used for evaluation, and as the teacher of Mean Teacher and ICT). [on except for supervised] */
  ema?: { decay?: number } | boolean;
  /** Feature tap layer [the layer feeding the source's output layer]. */
  tap?: string;
  /** Initialise the new head by imprinting (pretrained only). [true] */
  imprint?: boolean;
  /** Weak and strong views [defaultViews()]. */
  views?: SslViews;
  /** `'best'` (default): the weights with the best validation accuracy; `'last'`: the final ones. */
  select?: 'best' | 'last';
  seed: number;
  signal?: AbortSignal;
  callbacks?: Callback[];
  /** Checkpoints of the run (`fit`'s options; the run fingerprint is filled in). */
  checkpoint?: CheckpointOptions;
  log?: (msg: string) => void;
}

/** Result of {@link trainSslTransfer}. */
export interface SslTransferResult {
  /** The selected classifier (EMA teacher when on). Free it with `dispose()`. */
  model: tfl.LayersModel;
  history: History;
  iterations: number;
  /** Validation accuracy of the selected weights. */
  valAccuracy: number;
  /** Iteration of the selected weights. */
  selectedStep: number;
  /** Validation accuracy after the last iteration. */
  lastValAccuracy: number;
  /** Validation curve. */
  curve: SslValPoint[];
  /** Test evaluation of the selected model (only when `test` was given). */
  test?: ClassifierEvaluation;
  testAccuracy?: number;
  /** Per-iteration gate ratios, mask rate and loss. */
  series: SslSeries;
  /** Mean AKC gate ratio over the run (when AKC is on). */
  akcRatio?: number;
  /** Mean ARC gate ratio on the unlabelled batches (when ARC is on). */
  arcRatio?: number;
  /** Mean ARC gate ratio on the labelled batches (when ARC is on). */
  arcRatioLabeled?: number;
  /** Mean FixMatch / Pseudo-Label mask rate. */
  maskRate?: number;
  ms: number;
  /** Frees the models and tensors of the run (the source is left alone). */
  dispose(): void;
}

const meanOf = (a: number[]): number | undefined => {
  const v = a.filter((x) => !Number.isNaN(x));
  return v.length > 0 ? v.reduce((s, x) => s + x, 0) / v.length : undefined;
};

function settings<T extends { lambda: number }>(v: Partial<T> | boolean | undefined, lambda: number): T | undefined {
  if (v === undefined || v === false) return undefined;
  return { ...(v === true ? {} : v), lambda: (v === true ? undefined : v.lambda) ?? lambda } as T;
}

function checkData(o: TrainSslTransferOptions): void {
  const where = 'trainSslTransfer';
  const shape = o.labeled.shape;
  const want = o.source.inputs[0].shape.slice(1);
  const sets: [string, ImageDataset | undefined][] = [
    ['unlabeled', o.unlabeled],
    ['validation', o.validation],
    ['test', o.test],
  ];
  for (const [name, ds] of sets) {
    if (ds && ds.shape.join() !== shape.join()) {
      throw new ShapeError(
        `${where}: the ${name} images are [${ds.shape.join(', ')}] but the labelled ones are [${shape.join(', ')}]`,
        { set: name, shape: ds.shape, labeled: shape },
      );
    }
  }
  if (want.join() !== shape.join()) {
    throw new ShapeError(
      `${where}: the source model takes [${want.join(', ')}] images but the data is [${shape.join(', ')}]`,
      { model: want, data: shape },
    );
  }
  for (const [name, ds] of [
    ['labeled', o.labeled],
    ['validation', o.validation],
  ] as const) {
    if (ds.size === 0) throw new InvalidArgumentError(`${where}: the ${name} set is empty`);
  }
  if (o.validation.numClasses !== o.labeled.numClasses) {
    throw new InvalidArgumentError(
      `${where}: validation has ${o.validation.numClasses} classes, labelled ${o.labeled.numClasses}`,
    );
  }
  if (!SSL_ALGORITHMS.includes(o.alg)) {
    throw new InvalidArgumentError(`${where}: unknown alg '${String(o.alg)}'; expected ${SSL_ALGORITHMS.join(', ')}`);
  }
}

/** The target: a copy of the source with a new head (imprinted), or a fresh backbone. */
async function buildTarget(o: TrainSslTransferOptions, tap: string, numClasses: number): Promise<tfl.LayersModel> {
  const rng = createRng(o.seed).fork('ssl-init');
  if ((o.init ?? 'pretrained') === 'scratch') {
    if (!o.arch)
      throw new InvalidArgumentError("trainSslTransfer: init 'scratch' needs `arch` (a registered backbone)");
    return buildBackbone(o.arch, { numClasses, seed: rng.seedForTf(), inputShape: o.labeled.shape }).model;
  }
  const copy = await cloneModel(o.source, { name: `${o.source.name}_target` });
  const pool = (copy.getLayer(tap).outputShape as number[]).length === 4 ? 'gap' : 'none';
  let target: tfl.LayersModel;
  if (o.imprint ?? true) {
    const features = imprintFeatures(copy, tap, o, rng.fork('imprint'));
    try {
      target = replaceHead(copy, { numClasses, tap, pool, init: { imprint: { features, labels: o.labeled.labels } } });
    } finally {
      features.dispose();
    }
  } else {
    target = replaceHead(copy, { numClasses, tap, pool, seed: rng.seedForTf() });
  }
  const kept = new Set(target.layers);
  for (const l of copy.layers) if (!kept.has(l)) l.dispose();
  return target;
}

/** Pooled features of every labelled image under one weak view, backbone in inference mode (for imprinting). */
function imprintFeatures(
  model: tfl.LayersModel,
  tap: string,
  o: TrainSslTransferOptions,
  rng: ReturnType<typeof createRng>,
): tf.Tensor2D {
  const views = o.views ?? defaultViews();
  const ex = featureExtractor(model, tap, { pool: 'gap' });
  const chunks: tf.Tensor2D[] = [];
  for (const b of batchesSync(o.labeled, { batchSize: 256, transform: views.weak, rng })) {
    chunks.push(ex.predict(b.x) as tf.Tensor2D);
    b.dispose();
  }
  const out = tf.concat(chunks, 0);
  tf.dispose(chunks);
  return out;
}

/**
 * Semi-supervised transfer (Abuduweili et al., "Adaptive Consistency Regularization for Semi-Supervised Transfer
 * Learning", CVPR 2021): trains a copy of `source` with a new head on `labeled` + `unlabeled` with `alg`
 * (supervised, Pseudo-Label, FixMatch, Mean Teacher or ICT) and optional AKC / ARC; selects on `validation`; scores
 * `test` once at the end. Loss per step: CE + coef·L_SSL + λ_KC(t)·R_AKC + λ_RC(t)·R_ARC. Optimizer: SGD-Nesterov,
 * weight decay on kernels only (BN and biases excluded by layer type), lr·max(0, cos(π·7.9/16·t/T)).
 * Interrupting (`signal`) writes a checkpoint when `checkpoint` is set; resuming from it gives the same result as an
 * uninterrupted run on the same backend.
 */
export async function trainSslTransfer(o: TrainSslTransferOptions): Promise<SslTransferResult> {
  const t0 = performance.now();
  const where = 'trainSslTransfer';
  checkData(o);
  const T = checkPositiveInt(o.iterations, 'iterations', where);
  const evalEvery = checkPositiveInt(o.evalEvery ?? Math.max(1, Math.round(T / 20)), 'evalEvery', where);
  const D = SSL_TRANSFER_DEFAULTS;
  const batch = {
    labeled: checkPositiveInt(o.batch?.labeled ?? D.batch.labeled, 'batch.labeled', where),
    unlabeled: checkPositiveInt(o.batch?.unlabeled ?? D.batch.unlabeled, 'batch.unlabeled', where),
  };
  const threshold = checkThreshold(o.threshold ?? D.threshold, where);
  const akc = settings<AkcSettings>(o.akc, D.akcLambda);
  const arc = settings<ArcSettings>(o.arc, D.arcLambda);
  if (akc?.threshold !== undefined) checkGateRatio(akc.threshold, 'akc.threshold', where);
  if (arc?.threshold !== undefined) checkGateRatio(arc.threshold, 'arc.threshold', where);
  const coefDefault = SSL_COEF_DEFAULTS[o.alg] ?? SSL_COEF_DEFAULTS.supervised;
  const sslCoef = o.sslCoef ?? coefDefault.coef;
  const sslWarmup = o.sslWarmup ?? Math.round(coefDefault.warmup * T);
  const needsTeacher = o.alg === 'mean-teacher' || o.alg === 'ict';
  const emaOn = o.ema === undefined ? o.alg !== 'supervised' : o.ema !== false;
  if (needsTeacher && !emaOn) throw new InvalidArgumentError(`${where}: ${o.alg} needs the EMA teacher (ema: false)`);
  const emaDecay = typeof o.ema === 'object' ? (o.ema.decay ?? D.emaDecay) : D.emaDecay;
  const numClasses = o.labeled.numClasses;
  const numSourceClasses = o.source.outputs[0].shape[1] as number;
  const tap = o.tap ?? penultimateLayerName(o.source);
  const sourceTap = akc ? featureTap(o.source, tap) : null;

  const target = await buildTarget(o, tap, numClasses);
  const cleanup: { dispose(): void }[] = [target];
  try {
    const targetTap = featureTap(target);
    const teacher = emaOn ? await EmaTeacher.create(target, { decay: emaDecay }) : null;
    if (teacher) cleanup.push(teacher);
    const objective = new SslObjective(
      { target, targetTap, sourceTap, teacher: teacher?.teacher ?? null },
      {
        alg: o.alg,
        numClasses,
        numSourceClasses,
        threshold,
        sslCoef,
        sslWarmup,
        regWarmup: D.regWarmup,
        ictAlpha: D.ictAlpha,
        ...(akc ? { akc } : {}),
        ...(arc ? { arc } : {}),
      },
    );
    cleanup.push(objective);
    const evaluated = teacher?.teacher ?? target;
    const runLog = new SslRunLog({
      objective,
      validation: o.validation,
      evaluated,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    cleanup.push(runLog);
    const lr = o.lr ?? D.lr;
    const momentum = o.momentum ?? D.momentum;
    const weightDecay = o.weightDecay ?? D.weightDecay;
    const groups = noDecayGroups(target);
    const views = o.views ?? defaultViews();
    const optimizer = sgd({ lr, momentum, nesterov: momentum > 0, weightDecay });
    cleanup.push(optimizer);
    const history = await fit(target, {
      data: sslDataFn({
        labeled: o.labeled,
        unlabeled: o.unlabeled,
        batch,
        stepsPerEpoch: evalEvery,
        views,
        unlabeledViews: unlabeledViewsOf(o.alg, akc !== undefined || arc !== undefined),
      }),
      // the forward returns the step's total loss (see SslObjective), so the loss is the identity
      forward: (_m, b, ctx) => objective.forward(b, ctx),
      loss: (_y, total) => total as tf.Scalar,
      optimizer,
      groups,
      schedule: cosine({ lr, T, cycles: 7.9 / 16 }),
      steps: T,
      stepsPerEpoch: evalEvery,
      epochs: Math.ceil(T / evalEvery),
      rng: createRng(o.seed).fork('ssl-train'),
      // the EMA update runs before the run log evaluates the teacher at an epoch end
      callbacks: [...(teacher ? [teacher] : []), runLog, ...(o.callbacks ?? [])],
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.log ? { log: o.log } : {}),
      ...(o.checkpoint
        ? {
            checkpoint: {
              ...o.checkpoint,
              config: {
                alg: o.alg,
                init: o.init ?? 'pretrained',
                iterations: T,
                evalEvery,
                labeled: o.labeled.size,
                unlabeled: o.unlabeled.size,
                validation: o.validation.size,
                batchLabeled: batch.labeled,
                batchUnlabeled: batch.unlabeled,
                lr,
                momentum,
                weightDecay,
                threshold,
                sslCoef,
                sslWarmup,
                ema: emaOn ? emaDecay : false,
                akc: akc ? JSON.stringify(akc) : false,
                arc: arc ? JSON.stringify(arc) : false,
                seed: o.seed,
                ...(o.checkpoint.config ?? {}),
              },
            },
          }
        : {}),
    });
    const lastValAccuracy = runLog.curve.at(-1)?.accuracy ?? Number.NaN;
    const best = runLog.bestPoint;
    const select = o.select ?? 'best';
    if (select === 'best') runLog.restoreBest();
    const test = o.test ? await evaluateClassifier(evaluated, o.test, o.signal ? { signal: o.signal } : {}) : undefined;
    const s = runLog.series;
    const result: SslTransferResult = {
      model: evaluated,
      history,
      iterations: history.steps,
      valAccuracy: select === 'best' && best ? best.accuracy : lastValAccuracy,
      selectedStep: select === 'best' && best ? best.step : history.steps,
      lastValAccuracy,
      curve: runLog.curve,
      series: s,
      ms: performance.now() - t0,
      dispose: () => {
        for (const c of cleanup) c.dispose();
      },
    };
    if (test) {
      result.test = test;
      result.testAccuracy = test.accuracy;
    }
    if (akc) result.akcRatio = meanOf(s.akc);
    if (arc) {
      result.arcRatio = meanOf(s.arcU);
      result.arcRatioLabeled = meanOf(s.arcL);
    }
    const mask = meanOf(s.maskRate);
    if (mask !== undefined) result.maskRate = mask;
    runLog.dispose();
    optimizer.dispose();
    return result;
  } catch (err) {
    for (const c of cleanup) c.dispose();
    throw err;
  }
}
