/**
 * `ft hparams similarity`: the domain similarity exp(−γ·EMD) between a source model's data and a target dataset, on
 * the source model's penultimate features (Cui et al. 2018, as Li et al. 2020 use it to pick η').
 */
import {
  type CommandContext,
  DATASET_SPECS,
  defineCommand,
  type ImageDataset,
  InvalidArgumentError,
  listZooModels,
  loadDatasetSpec,
  loadModelRef,
  subset,
} from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';
import type * as tfl from '@tensorflow/tfjs-layers';
import { domainSimilarity } from '../tools/domain-similarity.js';

const ZOO = 'zoo:';

/**
 * The dataset a zoo model was trained on, read from its manifest entry's `trainingData` (`'<spec> train split …'`),
 * as a dataset specifier; null when the entry names none `loadDatasetSpec` knows.
 */
export function zooTrainingDataSpec(trainingData: string | undefined): string | null {
  const m = /^(\S+) train split\b/.exec(trainingData ?? '');
  if (!m) return null;
  const spec = m[1];
  return spec === 'mnist' || spec === 'fashion-mnist' || spec.startsWith('folder:') ? spec : null;
}

/** The source data specifier: `--source-data`, or the training set the zoo entry of `--source` records. */
async function sourceDataSpec(source: string, given: unknown): Promise<string> {
  if (typeof given === 'string' && given !== '') return given;
  if (source.startsWith(ZOO)) {
    const name = source.slice(ZOO.length);
    const entry = (await listZooModels()).find((e) => e.name === name);
    const spec = zooTrainingDataSpec(entry?.trainingData);
    if (spec) return spec;
    throw new InvalidArgumentError(
      `hparams similarity: the zoo entry '${name}' records no training set this command can load (${entry ? JSON.stringify(entry.trainingData) : 'no such entry'}); give --source-data <dataset>`,
    );
  }
  throw new InvalidArgumentError(
    'hparams similarity: give --source-data <dataset> (the data the source model was trained on); it defaults to the training set of a zoo:<name> source only',
  );
}

/** Loads a dataset split at the model's input size, keeping a seeded random `limit` of its images. */
async function loadData(
  ctx: CommandContext,
  spec: string,
  split: 'train' | 'test',
  model: tfl.LayersModel,
  limit: number | undefined,
  which: string,
): Promise<ImageDataset> {
  const shape = model.inputs[0].shape;
  const size = typeof shape[1] === 'number' ? shape[1] : undefined;
  const c = shape[3];
  const ds = await loadDatasetSpec(spec, {
    split,
    ...(size ? { size } : {}),
    ...(c === 1 || c === 3 ? { channels: c } : {}),
  });
  if (limit === undefined || ds.size <= limit) return ds;
  const keep = ctx.rng.fork(`similarity-${which}`).permutation(ds.size).slice(0, limit);
  return subset(ds, keep.sort());
}

const SPLITS = ['train', 'test'] as const;

/** The `ft hparams similarity` command. */
export const similarity = defineCommand({
  group: 'hparams',
  name: 'similarity',
  description:
    "Domain similarity exp(−γ·EMD) of a source model's data and a target dataset, on the model's penultimate features (Cui et al. 2018)",
  options: {
    source: { type: 'string', description: 'Source model: zoo:<name>, a model directory or URL', required: true },
    target: { type: 'string', description: `Target dataset: ${DATASET_SPECS.join(' | ')}`, required: true },
    'source-data': {
      type: 'string',
      description: "Source dataset (default: the training set a zoo:<name> source's manifest entry records)",
    },
    'source-split': { type: 'string', description: 'Split of the source data', choices: SPLITS, default: 'train' },
    'target-split': { type: 'string', description: 'Split of the target data', choices: SPLITS, default: 'train' },
    gamma: { type: 'number', description: 'γ of exp(−γ·EMD) (default 0.01, Cui et al.)', min: 0 },
    tap: {
      type: 'string',
      description: "Feature layer: 'penultimate' (the output layer's input) or a layer name",
      default: 'penultimate',
    },
    limit: {
      type: 'number',
      description: 'Use at most this many images of each dataset (a seeded random subset; default all)',
      integer: true,
      min: 1,
    },
    'batch-size': { type: 'number', description: 'Images per forward pass (default 64)', integer: true, min: 1 },
  },
  examples: [
    'ft hparams similarity --source zoo:mnist-resnet8 --target fashion-mnist --limit 2000',
    'ft hparams similarity --source model/ --source-data folder:data/source --target folder:data/target --json',
  ],
  async run(ctx) {
    const source = String(ctx.args.source ?? '');
    const target = String(ctx.args.target ?? '');
    if (target === '') throw new InvalidArgumentError('hparams similarity: --target needs a dataset');
    const limit =
      ctx.args.limit === undefined ? undefined : checkPositiveInt(ctx.args.limit, '--limit', 'hparams similarity');
    const gamma = ctx.args.gamma === undefined ? undefined : Number(ctx.args.gamma);
    const batchSize =
      ctx.args['batch-size'] === undefined
        ? undefined
        : checkPositiveInt(ctx.args['batch-size'], '--batch-size', 'hparams similarity');
    const split = (name: string): 'train' | 'test' => {
      const s = String(ctx.args[name] ?? 'train');
      if (s !== 'train' && s !== 'test') throw new InvalidArgumentError(`--${name} must be train or test, got '${s}'`);
      return s;
    };
    const sourceData = await sourceDataSpec(source, ctx.args['source-data']);
    const model = await loadModelRef(source);
    try {
      const src = await loadData(ctx, sourceData, split('source-split'), model, limit, 'source');
      const tgt = await loadData(ctx, target, split('target-split'), model, limit, 'target');
      ctx.log(
        `hparams similarity: ${source} on ${src.size} ${sourceData} images vs ${tgt.size} ${target} images (backend ${ctx.backend.name})`,
      );
      const r = await domainSimilarity({
        source: src,
        target: tgt,
        extractor: model,
        tap: String(ctx.args.tap ?? 'penultimate'),
        ...(gamma !== undefined ? { gamma } : {}),
        ...(batchSize !== undefined ? { batchSize } : {}),
      });
      return {
        source,
        sourceData,
        target,
        emd: r.emd,
        similarity: r.similarity,
        gamma: r.gamma,
        dim: r.dim,
        sourceImages: src.size,
        targetImages: tgt.size,
        sourceClasses: r.source.classes,
        targetClasses: r.target.classes,
      };
    } finally {
      model.dispose();
    }
  },
});
