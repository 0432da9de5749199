/**
 * One training protocol for AdaFilter and its baselines (the arms), so that they differ only in the method:
 * the same new head, data, augmentation, SGD-Nesterov, warm-up + cosine schedule and weight decay (core
 * `trainClassifier`), with per-group learning rates for AdaFilter's fine-tuned filters, gate and head.
 *   adafilter     learned per-filter gates (Guo et al., AAAI 2020)
 *   finetune      standard fine-tuning of every layer with a new head
 *   linear-probe  frozen backbone (and BN statistics), new head
 *   l2sp          fine-tuning with (α/2)‖w − w⁰‖² + (β/2)‖w_head‖² (Li, Grandvalet & Davoine, ICML 2018), no weight decay
 *   random-gates  Bernoulli(p) gates per example and filter (p: `randomRate`, e.g. AdaFilter's learned mean rate)
 *   spottune      SpotTune-style routing: one learned decision per residual block (per layer in a chain CNN)
 *   shared-bn     AdaFilter with one BN after the mix instead of gated BN (ablation)
 */
import {
  type Augment,
  type Callback,
  type CheckpointOptions,
  cloneModel,
  createRng,
  firstImages,
  type History,
  type ImageDataset,
  InvalidArgumentError,
  l2sp,
  prepareTransferModel,
  referenceWeights,
  type Trainable,
  trainClassifier,
} from '@ft/core';
import type { ParamGroup } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { AdaFilterNet, AdaFilterOptions } from '../net/adafilter-net.js';
import { adaFilter } from '../net/save-load.js';
import { type GateTracePoint, gateTrace } from './gate-trace.js';

/** The methods {@link trainAdaFilter} runs. */
export const ADAFILTER_METHODS = [
  'adafilter',
  'finetune',
  'linear-probe',
  'l2sp',
  'random-gates',
  'spottune',
  'shared-bn',
] as const;
/** One of {@link ADAFILTER_METHODS}. */
export type AdaFilterMethod = (typeof ADAFILTER_METHODS)[number];

/** Methods trained as an AdaFilter network (with gates). */
export const GATED_METHODS = ['adafilter', 'random-gates', 'spottune', 'shared-bn'] as const;
/** One of {@link GATED_METHODS}. */
export type GatedMethod = (typeof GATED_METHODS)[number];

/** Defaults of {@link trainAdaFilter} (the spec's small-scale protocol: SGD m 0.9, lr 0.01, batch 64, 30 epochs). */
export const ADAFILTER_TRAIN_DEFAULTS = Object.freeze({
  epochs: 30,
  batchSize: 64,
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
  lrMult: Object.freeze({ finetuned: 1, gate: 1, head: 1 }),
  randomRate: 0.5,
  l2sp: Object.freeze({ alpha: 0.01, beta: 0.01 }),
});

/** Options of {@link trainAdaFilter}. */
export interface TrainAdaFilterOptions<M extends AdaFilterMethod = AdaFilterMethod> {
  method: M;
  /** The pre-trained model (read, never changed). */
  source: tfl.LayersModel;
  /** Classes of the target task. */
  numClasses: number;
  train: ImageDataset;
  /** Probe set of the gate trace (default: the first 256 training images). */
  probe?: ImageDataset;
  epochs?: number;
  /** Total optimizer steps (overrides `epochs`). */
  steps?: number;
  batchSize?: number;
  /** Peak learning rate. */
  lr?: number;
  /** Learning-rate multipliers of AdaFilter's groups. */
  lrMult?: { finetuned?: number; gate?: number; head?: number };
  momentum?: number;
  /** Weight decay on kernels (none on BN and biases; none at all for l2sp, whose regulariser replaces it). */
  weightDecay?: number;
  /** P(fine-tuned) of `random-gates`. */
  randomRate?: number;
  /** α and β of `l2sp`. */
  l2sp?: { alpha?: number; beta?: number };
  /** AdaFilter settings (gate sizes, τ, BN of the pre-trained path, gated layers). */
  adafilter?: Omit<AdaFilterOptions, 'numClasses' | 'policy' | 'granularity' | 'seed'>;
  /** Augmentation (default: core `trainClassifier`'s pad-crop by 2; `null` for none). */
  augment?: Augment | null;
  /** Seed of the head, the gate, batch order, augmentation and Gumbel noise. */
  seed: number;
  signal?: AbortSignal;
  callbacks?: Callback[];
  checkpoint?: CheckpointOptions;
  log?: (msg: string) => void;
}

/** Result of {@link trainAdaFilter}. */
export interface TrainAdaFilterResult<M extends AdaFilterMethod = AdaFilterMethod> {
  method: M;
  /** The trained model: an AdaFilter network for gated methods, a LayersModel otherwise (the caller disposes it). */
  model: M extends GatedMethod ? AdaFilterNet : tfl.LayersModel;
  history: History;
  /** Per-epoch gate fractions on the probe set (gated methods). */
  gateTrace?: GateTracePoint[];
  /** Wall time of training (s). */
  trainSeconds: number;
}

/** ParamGroups of `vars` with weight decay on rank ≥ 2 variables only (kernels; not BN parameters or biases). */
function decayGroups(name: string, vars: tf.Variable[], lrMult: number): ParamGroup[] {
  const decay = vars.filter((v) => v.rank >= 2);
  const noDecay = vars.filter((v) => v.rank < 2);
  return [
    ...(decay.length ? [{ name, variables: decay, lrMult }] : []),
    ...(noDecay.length ? [{ name: `${name}-noDecay`, variables: noDecay, lrMult, weightDecay: 0 }] : []),
  ];
}

/** The AdaFilter network a gated method trains. */
export function gatedNetwork(o: TrainAdaFilterOptions): AdaFilterNet {
  const rate = o.randomRate ?? ADAFILTER_TRAIN_DEFAULTS.randomRate;
  const base = { ...(o.adafilter ?? {}), numClasses: o.numClasses, seed: o.seed };
  switch (o.method) {
    case 'adafilter':
      return adaFilter(o.source, base);
    case 'random-gates':
      return adaFilter(o.source, { ...base, policy: { random: rate } });
    case 'spottune':
      return adaFilter(o.source, { ...base, granularity: 'block' });
    case 'shared-bn':
      return adaFilter(o.source, { ...base, bn: { ...(base.bn ?? {}), shared: true } });
    default:
      throw new InvalidArgumentError(`gatedNetwork: '${o.method}' is not a gated method`);
  }
}

/**
 * Trains one method on `train` from `source` under the shared protocol (see the file header).
 * @returns the trained model, its history and (gated methods) the gate trace.
 */
export async function trainAdaFilter<M extends AdaFilterMethod>(
  o: TrainAdaFilterOptions<M>,
): Promise<TrainAdaFilterResult<M>> {
  if (!(ADAFILTER_METHODS as readonly string[]).includes(o.method)) {
    throw new InvalidArgumentError(
      `trainAdaFilter: unknown method '${o.method}'; expected ${ADAFILTER_METHODS.join(', ')}`,
    );
  }
  const D = ADAFILTER_TRAIN_DEFAULTS;
  const rng = createRng(o.seed).fork(`adafilter-${o.method}`);
  const common = {
    epochs: o.epochs ?? D.epochs,
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    batchSize: o.batchSize ?? D.batchSize,
    lr: o.lr ?? D.lr,
    momentum: o.momentum ?? D.momentum,
    weightDecay: o.weightDecay ?? D.weightDecay,
    rng,
    ...(o.augment !== undefined ? { augment: o.augment } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.checkpoint
      ? { checkpoint: { ...o.checkpoint, config: { method: o.method, seed: o.seed, ...(o.checkpoint.config ?? {}) } } }
      : {}),
  };
  const t0 = performance.now();
  if ((GATED_METHODS as readonly string[]).includes(o.method)) {
    const net = gatedNetwork(o);
    const m = { ...D.lrMult, ...(o.lrMult ?? {}) };
    const g = net.paramGroups();
    const probe = o.probe ?? firstImages(o.train, 256);
    const trace = gateTrace(net, probe, o.log ? { log: o.log } : {});
    try {
      const history = await trainClassifier(net, o.train, {
        ...common,
        groups: [
          ...decayGroups('finetuned', g.finetuned, m.finetuned),
          ...decayGroups('gate', g.gate, m.gate),
          ...decayGroups('head', g.head, m.head),
        ],
        callbacks: [trace, ...(o.callbacks ?? [])],
      });
      return {
        method: o.method,
        model: net as TrainAdaFilterResult<M>['model'],
        history,
        gateTrace: trace.points,
        trainSeconds: (performance.now() - t0) / 1000,
      };
    } catch (e) {
      net.dispose();
      throw e;
    }
  }
  const copy = await cloneModel(o.source);
  const model = prepareTransferModel(copy, {
    method: o.method === 'linear-probe' ? 'linear-probe' : 'full',
    numClasses: o.numClasses,
    seed: o.seed,
  });
  let extra: (((m: Trainable) => tf.Scalar) & { regularizer: { dispose(): void } }) | undefined;
  try {
    if (o.method === 'l2sp') {
      const ref = referenceWeights(model);
      try {
        extra = l2sp(model, {
          reference: ref,
          alpha: o.l2sp?.alpha ?? D.l2sp.alpha,
          beta: o.l2sp?.beta ?? D.l2sp.beta,
          head: ['logits'],
        });
      } finally {
        tf.dispose(Object.values(ref));
      }
    }
    const history = await trainClassifier(model, o.train, {
      ...common,
      ...(extra ? { extraLoss: extra, weightDecay: 0 } : {}),
      ...(o.callbacks ? { callbacks: o.callbacks } : {}),
    });
    return {
      method: o.method,
      model: model as TrainAdaFilterResult<M>['model'],
      history,
      trainSeconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    extra?.regularizer.dispose();
  }
}
