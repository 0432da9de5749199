/**
 * CLI commands of @ft/mahalanobis-ad, mounted by `@ft/cli` as `ft ad fit | score | eval | finetune`. They parse
 * nothing themselves (the CLI does) and only call the package's public API; the returned object is printed (as the
 * last stdout line with `--json`).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  ArrayImageDataset,
  type CommandContext,
  type CommandSpec,
  defineCommand,
  EmptyDatasetError,
  IMAGE_EXTENSIONS,
  type ImageDataset,
  type ImageShape,
  InvalidArgumentError,
  imageFolder,
  listImageFiles,
  loadDatasetSpec,
  loadModelRef,
  readImageFile,
  resizeBilinear,
  rgbaToFloat,
} from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { withInputShape } from './backbone.js';
import { MahalanobisDetector } from './detector.js';
import { modelInputShape } from './features.js';
import { COVARIANCE_ESTIMATORS, type CovarianceEstimator } from './gaussian-ad.js';
import { type FinetuneLoss, mahalanobisFinetune } from './mahalanobis-finetune.js';
import { mvtecTask, type OneClassTask, oneClassTask } from './one-class.js';
import { VAL_AUGMENTS, type ValAugmentName } from './val-augment.js';

/** Default source backbone per dataset: the zoo model trained on the *other* dataset (transfer, spec). */
export function defaultBackbone(dataset: string): string {
  if (dataset === 'fashion-mnist') return 'zoo:mnist-resnet8';
  return 'zoo:fashion-mnist-resnet8';
}

const round = (x: number | undefined, d = 6) => (x === undefined ? undefined : Math.round(x * 10 ** d) / 10 ** d);

const taskOptions = {
  dataset: {
    type: 'string',
    description: 'fashion-mnist | mnist | mvtec:<root>/<category> | folder:<dir> (sub-folder per class)',
    required: true,
  },
  'normal-class': {
    type: 'number',
    description: 'The normal class (one-class protocol; ignored for mvtec)',
    default: 0,
    integer: true,
    min: 0,
  },
  backbone: {
    type: 'string',
    description: 'zoo:<name>, a model directory or URL (default: the zoo model of the other dataset)',
  },
  levels: { type: 'string', description: 'Comma-separated feature taps (default: stem and every blockK)' },
  estimator: {
    type: 'string',
    description: 'Covariance estimator',
    choices: COVARIANCE_ESTIMATORS,
    default: 'ledoitWolf',
  },
  'train-subsample': {
    type: 'number',
    description: 'Normal training images kept per task before the 80/20 train/val split (0 = all)',
    default: 1000,
    integer: true,
    min: 0,
  },
  'test-subsample': {
    type: 'number',
    description: 'Stratified test subsample (0 = the full test split)',
    default: 0,
    integer: true,
    min: 0,
  },
  size: { type: 'number', description: 'Image side for mvtec/folder datasets', default: 64, integer: true, min: 1 },
  'seg-levels': { type: 'string', description: 'Taps of the PaDiM segmenter (mvtec)', default: 'block2,block3' },
  'seg-channels': {
    type: 'number',
    description: 'Random channel subset of the segmenter',
    default: 48,
    integer: true,
    min: 1,
  },
  'batch-size': { type: 'number', description: 'Images per forward pass', default: 128, integer: true, min: 1 },
} as const;

const finetuneOptions = {
  epochs: { type: 'number', description: 'Fine-tuning epochs', default: 20, integer: true, min: 1 },
  lr: { type: 'number', description: 'Adam learning rate', default: 1e-4, exclusiveMin: 0 },
  'ft-batch-size': { type: 'number', description: 'Fine-tuning batch size', default: 32, integer: true, min: 1 },
  patience: {
    type: 'number',
    description: 'Early-stopping patience in epochs (0 = train all epochs)',
    default: 3,
    integer: true,
    min: 0,
  },
  loss: {
    type: 'string',
    description: 'Fine-tuning objective',
    choices: ['mahalanobis', 'mahalanobis2', 'euclidean', 'deepsvdd'],
    default: 'mahalanobis',
  },
  'val-augment': {
    type: 'string',
    description: `Validation pseudo-anomaly families, comma-separated (${VAL_AUGMENTS.join(', ')})`,
    default: VAL_AUGMENTS.join(','),
  },
} as const;

interface LoadedTask extends OneClassTask {
  backboneRef: string;
  isMvtec: boolean;
  model: tfl.LayersModel;
}

async function loadTask(ctx: CommandContext): Promise<LoadedTask & { model: tfl.LayersModel }> {
  const dataset = String(ctx.args.dataset);
  const backboneRef = String(ctx.args.backbone ?? defaultBackbone(dataset));
  const loaded = await loadModelRef(backboneRef);
  try {
    const task = await loadTaskData(ctx, dataset, modelInputShape(loaded)[2]);
    const model = await withInputShape(loaded, task.train.shape);
    if (model !== loaded) loaded.dispose();
    return { ...task, backboneRef, model };
  } catch (e) {
    loaded.dispose();
    throw e;
  }
}

async function loadTaskData(
  ctx: CommandContext,
  dataset: string,
  channels: number,
): Promise<OneClassTask & { isMvtec: boolean }> {
  const size = Number(ctx.args.size);
  const sub = Number(ctx.args['train-subsample']);
  const testSub = Number(ctx.args['test-subsample']);
  let task: OneClassTask;
  const isMvtec = dataset.startsWith('mvtec:');
  if (isMvtec) {
    const full = dataset.slice('mvtec:'.length).replace(/\/+$/, '');
    task = mvtecTask(path.dirname(full), path.basename(full), { size, channels: channels as 1 | 3, seed: ctx.seed });
  } else {
    const extra = dataset.startsWith('folder:') ? { size, channels: channels as 1 | 3 } : {};
    const train = await loadDatasetSpec(dataset, { split: 'train', ...extra });
    const test = await loadDatasetSpec(dataset, { split: 'test', ...extra });
    task = oneClassTask(train, test, {
      normalClass: Number(ctx.args['normal-class']),
      trainSubsample: sub > 0 ? sub : undefined,
      testSubsample: testSub > 0 ? testSub : undefined,
      seed: ctx.seed,
    });
  }
  return { ...task, isMvtec };
}

/**
 * The body of `ft ad fit | eval | finetune`: loads the task, builds its detector and runs `body` with them and the
 * start time, then frees both (also on error paths).
 */
async function withTaskDetector<T>(
  ctx: CommandContext,
  body: (ctx: CommandContext, task: LoadedTask, det: MahalanobisDetector, t0: number) => Promise<T>,
): Promise<T> {
  const t0 = performance.now();
  const task = await loadTask(ctx);
  let det: MahalanobisDetector | undefined;
  try {
    det = new MahalanobisDetector(task.model, detectorOptions(ctx, task));
    return await body(ctx, task, det, t0);
  } finally {
    det?.dispose();
    task.model.dispose();
  }
}

function detectorOptions(ctx: CommandContext, task: LoadedTask) {
  const levels = ctx.args.levels ? String(ctx.args.levels).split(',').filter(Boolean) : undefined;
  return {
    ...(levels ? { levels } : {}),
    estimator: String(ctx.args.estimator) as CovarianceEstimator,
    batchSize: Number(ctx.args['batch-size']),
    backboneRef: task.backboneRef,
    ...(task.isMvtec
      ? {
          segmentation: {
            levels: String(ctx.args['seg-levels']).split(',').filter(Boolean),
            channels: Number(ctx.args['seg-channels']),
            seed: ctx.seed,
          },
        }
      : {}),
  };
}

function valFamilies(ctx: CommandContext): ValAugmentName[] {
  const list = String(ctx.args['val-augment']).split(',').filter(Boolean) as ValAugmentName[];
  for (const f of list) {
    if (!VAL_AUGMENTS.includes(f)) {
      throw new InvalidArgumentError(`--val-augment: unknown family '${f}'; choose from ${VAL_AUGMENTS.join(', ')}`);
    }
  }
  return list;
}

async function runFinetune(
  ctx: CommandContext,
  task: LoadedTask & { model: tfl.LayersModel },
  det: MahalanobisDetector,
  monitor?: { images: ImageDataset; labels: ArrayLike<number> },
) {
  const patience = Number(ctx.args.patience);
  const res = await mahalanobisFinetune(task.model, {
    train: task.train,
    val: task.val,
    levels: det.levels,
    estimator: det.gaussian.estimator,
    loss: String(ctx.args.loss) as FinetuneLoss,
    epochs: Number(ctx.args.epochs),
    lr: Number(ctx.args.lr),
    batchSize: Number(ctx.args['ft-batch-size']),
    patience: patience > 0 ? patience : null,
    valAugment: valFamilies(ctx),
    evalBatchSize: Number(ctx.args['batch-size']),
    rng: ctx.rng.fork('finetune'),
    signal: ctx.signal,
    ...(monitor ? { monitor } : {}),
    onEpoch: (e) =>
      ctx.log(
        `epoch ${e.epoch}: loss ${e.loss === null ? '-' : e.loss.toFixed(4)}, val pseudo-AUROC ${e.valAUROC.toFixed(4)}` +
          (e.monitorAUROC !== undefined ? `, test AUROC ${e.monitorAUROC.toFixed(4)}` : '') +
          ` (${e.seconds.toFixed(1)} s)`,
      ),
  });
  res.gaussian.dispose();
  const summary = {
    loss: String(ctx.args.loss),
    bestEpoch: res.bestEpoch,
    bestValAUROC: round(res.bestValAUROC),
    lastEpoch: res.lastEpoch,
    stoppedEarly: res.stoppedEarly,
    history: res.history.map((h) => ({
      epoch: h.epoch,
      loss: round(h.loss ?? undefined),
      valAUROC: round(h.valAUROC),
      ...(h.monitorAUROC !== undefined ? { testAUROC: round(h.monitorAUROC) } : {}),
    })),
  };
  det.meta.finetune = summary;
  return summary;
}

/** `ft ad fit`: fit a detector on the normal training images of a task and save it. */
export const fitCommand = defineCommand({
  group: 'ad',
  name: 'fit',
  description: 'Fit a Gaussian anomaly detector on normal images and save it',
  examples: [
    'ft ad fit --dataset fashion-mnist --normal-class 0 --out det/',
    'ft ad fit --dataset mvtec:data/mvtec/bottle --size 64 --out det-bottle/',
  ],
  options: {
    ...taskOptions,
    out: { type: 'string', description: 'Directory to write the detector to', required: true, output: 'dir' },
  },
  run: (ctx) => withTaskDetector(ctx, fitRun),
});

async function fitRun(ctx: CommandContext, task: LoadedTask, det: MahalanobisDetector, t0: number) {
  await det.fit(task.train, { statsFrom: task.val, signal: ctx.signal });
  const out = path.resolve(String(ctx.args.out));
  await det.save(out);
  return {
    out,
    dataset: String(ctx.args.dataset),
    normalClass: task.isMvtec ? null : task.normalClass,
    backbone: task.backboneRef,
    levels: det.levels,
    dims: Object.fromEntries(det.levels.map((l) => [l, det.gaussian.level(l).dim])),
    shrinkage: Object.fromEntries(det.levels.map((l) => [l, round(det.gaussian.level(l).shrinkage)])),
    nTrain: task.train.size,
    threshold: det.threshold,
    scoreStats: det.scoreStats,
    seconds: round((performance.now() - t0) / 1000, 1),
    seed: ctx.seed,
    backend: ctx.backend.name,
  };
}

/** `ft ad score`: score a folder of images with a saved detector. */
export const scoreCommand = defineCommand({
  group: 'ad',
  name: 'score',
  description: 'Score a folder of images with a saved detector (higher = more anomalous)',
  examples: [
    'ft ad score --detector det/ --images photos/',
    'ft ad score --detector det/ --images photos/ --json > scores.json',
  ],
  options: {
    detector: {
      type: 'string',
      description: 'Detector directory written by ft ad fit / finetune',
      required: true,
      input: 'dir',
    },
    images: {
      type: 'string',
      description: 'Folder of PNG/JPEG images (or with one sub-folder per class)',
      required: true,
      input: 'dir',
    },
  },
  async run(ctx) {
    const det = await MahalanobisDetector.load(String(ctx.args.detector));
    try {
      return await scoreRun(ctx, det);
    } finally {
      det.dispose();
      det.model.dispose();
    }
  },
});

/**
 * The images of one folder for scoring: PNG/JPEG files directly inside it (sorted by name, core `listImageFiles`),
 * converted to the detector's channels and resized bilinearly to its input size; a folder with no images but class
 * sub-folders is read with core `imageFolder` (all sub-folders). Labels are 0.
 */
function readImageDir(dir: string, shape: ImageShape): { images: ArrayImageDataset; files: string[] } {
  const [h, w, c] = shape;
  const files = listImageFiles(dir);
  if (files.length === 0) {
    const subdirs = readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isDirectory());
    if (subdirs.length > 0) {
      const ds = imageFolder(dir, { size: [h, w], channels: c as 1 | 3 });
      const images = new Float32Array(ds.size * h * w * c);
      for (let i = 0; i < ds.size; i++) ds.copyInto(i, images, i * h * w * c);
      return {
        images: new ArrayImageDataset({ images, labels: new Int32Array(ds.size), shape }),
        files: [...ds.files],
      };
    }
    throw new EmptyDatasetError(`no ${IMAGE_EXTENSIONS.join('/')} images in ${dir}`);
  }
  const per = h * w * c;
  const images = new Float32Array(files.length * per);
  files.forEach((f, i) => {
    const img = readImageFile(f);
    const px = rgbaToFloat(img, c as 1 | 3 | 4);
    const r = img.height === h && img.width === w ? px : resizeBilinear(px, img.height, img.width, c, h, w);
    images.set(r, i * per);
  });
  return { images: new ArrayImageDataset({ images, labels: new Int32Array(files.length), shape }), files };
}

async function scoreRun(ctx: CommandContext, det: MahalanobisDetector) {
  const { images, files } = readImageDir(String(ctx.args.images), det.inputShape);
  const s = await det.score(images, { signal: ctx.signal, maps: false });
  const norm = det.scoreStats && det.threshold ? det.normalize(s.total) : null;
  const thr = det.threshold?.value;
  return {
    detector: path.resolve(String(ctx.args.detector)),
    n: files.length,
    threshold: det.threshold,
    images: files.map((f, i) => ({
      file: f,
      score: round(s.total[i]),
      ...(norm ? { normalized: round(norm[i]) } : {}),
      ...(thr !== undefined ? { anomalous: s.total[i] >= thr } : {}),
      perLevel: Object.fromEntries(det.levels.map((l) => [l, round(s.perLevel[l][i])])),
    })),
    backend: ctx.backend.name,
  };
}

/** `ft ad eval`: the one-class protocol end to end (fit, optionally fine-tune, score the test split). */
export const evalCommand = defineCommand({
  group: 'ad',
  name: 'eval',
  description: 'One-class evaluation: fit on the normal class (optionally fine-tune) and report test AUROC',
  examples: [
    'ft ad eval --dataset fashion-mnist --normal-class 3',
    'ft ad eval --dataset mnist --normal-class 0 --finetune --epochs 5 --out det-ft/',
  ],
  options: {
    ...taskOptions,
    finetune: {
      type: 'boolean',
      description: 'Mahalanobis fine-tuning with the augmentation-validated stop',
      default: false,
    },
    curves: {
      type: 'boolean',
      description: 'With --finetune: also score the test split every epoch (test-AUROC curve; monitoring only)',
      default: false,
    },
    ...finetuneOptions,
    out: { type: 'string', description: 'Also save the detector (with F1-adaptive thresholds) here', output: 'dir' },
  },
  run: (ctx) => withTaskDetector(ctx, evalRun),
});

async function evalRun(ctx: CommandContext, task: LoadedTask, det: MahalanobisDetector, t0: number) {
  let finetune: Awaited<ReturnType<typeof runFinetune>> | undefined;
  if (ctx.args.finetune) {
    const monitor = ctx.args.curves ? { images: task.test, labels: task.testLabels } : undefined;
    finetune = await runFinetune(ctx, task, det, monitor);
  }
  await det.fit(task.train, { statsFrom: task.val, signal: ctx.signal });
  const ev = await det.evaluate(task.test, task.testLabels, {
    masks: task.testMasks,
    calibrate: ctx.args.out !== undefined,
    source: `${String(ctx.args.dataset)} test split`,
    signal: ctx.signal,
  });
  let out: string | undefined;
  if (ctx.args.out) out = await det.save(path.resolve(String(ctx.args.out)));
  return {
    dataset: String(ctx.args.dataset),
    normalClass: task.isMvtec ? null : task.normalClass,
    backbone: task.backboneRef,
    levels: det.levels,
    estimator: det.gaussian.estimator,
    imageAUROC: round(ev.imageAUROC),
    perLevelAUROC: Object.fromEntries(Object.entries(ev.perLevelAUROC).map(([k, v]) => [k, round(v)])),
    imageF1Max: round(ev.imageF1Max),
    imageThreshold: round(ev.imageThreshold),
    ...(ev.pixelAUROC !== undefined
      ? { pixelAUROC: round(ev.pixelAUROC), AUPRO: round(ev.AUPRO), pixelF1Max: round(ev.pixelF1Max) }
      : {}),
    nTrain: task.train.size,
    nVal: task.val.size,
    nTest: ev.n,
    nAnomalous: ev.nAnomalous,
    ...(finetune ? { finetune } : {}),
    ...(out ? { out } : {}),
    seconds: round((performance.now() - t0) / 1000, 1),
    seed: ctx.seed,
    backend: ctx.backend.name,
  };
}

/** `ft ad finetune`: Mahalanobis fine-tuning on a task's normal images, then fit and save the detector. */
export const finetuneCommand = defineCommand({
  group: 'ad',
  name: 'finetune',
  description: 'Fine-tune the backbone with the Mahalanobis loss (augmentation-validated stop) and save the detector',
  examples: ['ft ad finetune --dataset fashion-mnist --normal-class 0 --epochs 10 --out det-ft/'],
  options: {
    ...taskOptions,
    ...finetuneOptions,
    out: {
      type: 'string',
      description: 'Directory to write the fine-tuned detector to',
      required: true,
      output: 'dir',
    },
  },
  run: (ctx) => withTaskDetector(ctx, finetuneRun),
});

async function finetuneRun(ctx: CommandContext, task: LoadedTask, det: MahalanobisDetector, t0: number) {
  const finetune = await runFinetune(ctx, task, det);
  await det.fit(task.train, { statsFrom: task.val, signal: ctx.signal });
  const out = await det.save(path.resolve(String(ctx.args.out)));
  return {
    out,
    dataset: String(ctx.args.dataset),
    normalClass: task.isMvtec ? null : task.normalClass,
    backbone: task.backboneRef,
    levels: det.levels,
    finetune,
    nTrain: task.train.size,
    nVal: task.val.size,
    seconds: round((performance.now() - t0) / 1000, 1),
    seed: ctx.seed,
    backend: ctx.backend.name,
  };
}

/** The commands `@ft/cli` mounts: `ft ad fit | score | eval | finetune`. */
export const commands: CommandSpec[] = [fitCommand, scoreCommand, evalCommand, finetuneCommand];
