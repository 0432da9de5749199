/**
 * Trains the learned JADCE methods for one pilot matrix: the reconstructed `FeatureAidedJadceNet` (`proposed`), its
 * ablations without DR (`proposed-nodr`) and without the inner EM tuning (`proposed-noem`, J = 0), and the LISTA-GS /
 * ALISTA-GS baselines. Sample pools are drawn once from the system model with the fixed S (spec "Training"); the
 * initial prior Θ₀ of the proposed network is set from the training pool ("prior-feature learning": λ₀ = ε,
 * φ₀ = mean ‖x_r,n‖²/r over active rows) and then trained by back-propagation.
 */
import { InvalidArgumentError, type Rng } from '@ft/core';
import { FeatureAidedJadceNet } from './feature-aided-net.js';
import type { CMat } from './host-complex.js';
import type { LearnedModel } from './learned-models.js';
import { type StageRecord, trainLayerwise } from './train-layerwise.js';
import { makeSamplePool, type SamplePool } from './training-data.js';
import { alistaGs, listaGs } from './unrolled-ista.js';

/** Learned methods `trainJadceModels` can train. */
export const TRAINABLE_METHODS = ['proposed', 'proposed-nodr', 'proposed-noem', 'lista-gs', 'alista-gs'] as const;
/** One of `TRAINABLE_METHODS`. */
export type TrainableMethod = (typeof TRAINABLE_METHODS)[number];

/** Options of `trainJadceModels`. */
export interface TrainModelsOptions {
  /** Fixed pilots S [L, N]. */
  S: CMat;
  /** Antenna count(s) of the training data (a list mixes them; the DR networks then serve every M ≥ rank). */
  M: number | number[];
  /** Activity probability ε of the training data. */
  eps: number;
  /** Training SNR in dB, fixed or a range. */
  snrDb: number | [number, number];
  /** Methods to train (default proposed, lista-gs, alista-gs). */
  methods?: readonly TrainableMethod[];
  /** DR rank r (default min(8, smallest M)). */
  rank?: number;
  /** Layers T of every network (default 10). */
  T?: number;
  /** Inner EM steps J of the proposed network (default 3). */
  J?: number;
  /** Training realisations per pool (default 4000). */
  samples?: number;
  /** Adam steps per training stage (default 30). */
  stepsPerStage?: number;
  /** Mini-batch (default 64). */
  batch?: number;
  /** Learning rate for new layers (default 1e-3; ALISTA-GS, with two scalars per layer, uses 10×). */
  lr?: number;
  /** Fine-tuning learning rates (default [1e-4]). */
  refineLrs?: number[];
  rng: Rng;
  /** Progress lines. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Result of `trainJadceModels`. */
export interface TrainModelsResult {
  models: Partial<Record<TrainableMethod, LearnedModel>>;
  /** Training wall-clock seconds, steps and final stage loss per method. */
  stats: Partial<Record<TrainableMethod, { seconds: number; steps: number; finalLoss: number; stages: StageRecord[] }>>;
}

/** Mean per-entry energy of the active rows of a pool's targets: the data-driven initial φ₀. */
function activeRowEnergy(p: SamplePool): number {
  const N = p.Xr.shape[1];
  const r = p.r;
  let s = 0;
  let k = 0;
  for (let i = 0; i < p.count * N; i++) {
    if (!p.active[i]) continue;
    for (let j = 0; j < r; j++) s += p.Xr.re[i * r + j] ** 2 + p.Xr.im[i * r + j] ** 2;
    k++;
  }
  return k > 0 ? s / (k * r) : 1;
}

/**
 * Trains the requested learned methods (see file header). Yields to the event loop between steps, so `signal` can
 * be aborted from a signal handler; throws `NonFiniteValueError` if a net's weights become NaN/±Inf.
 */
export async function trainJadceModels(o: TrainModelsOptions): Promise<TrainModelsResult> {
  const methods = o.methods ?? ['proposed', 'lista-gs', 'alista-gs'];
  for (const m of methods) {
    if (!(TRAINABLE_METHODS as readonly string[]).includes(m)) {
      throw new InvalidArgumentError(
        `trainJadceModels: unknown method '${m}' (known: ${TRAINABLE_METHODS.join(', ')})`,
      );
    }
  }
  const Ms = Array.isArray(o.M) ? o.M : [o.M];
  const rank = o.rank ?? Math.min(8, ...Ms);
  const T = o.T ?? 10;
  const J = o.J ?? 3;
  const samples = o.samples ?? 4000;
  const stepsPerStage = o.stepsPerStage ?? 30;
  const batch = o.batch ?? 64;
  const lr = o.lr ?? 1e-3;
  const log = o.log ?? (() => {});
  const pool = (label: string, M: number | number[], r?: number) =>
    makeSamplePool({ S: o.S, M, activity: o.eps, snrDb: o.snrDb, count: samples, rank: r, rng: o.rng.fork(label) });
  let drPool: SamplePool | undefined;
  const rawPools = new Map<number, SamplePool>();
  const getDr = () => {
    drPool ??= pool('pool-dr', Ms, rank);
    return drPool;
  };
  const getRaw = (M: number) => {
    if (!rawPools.has(M)) rawPools.set(M, pool(`pool-raw-${M}`, M));
    return rawPools.get(M)!;
  };
  const result: TrainModelsResult = { models: {}, stats: {} };
  for (const method of methods) {
    if (o.signal?.aborted) break;
    const t0 = performance.now();
    let model: LearnedModel;
    let pools: SamplePool | SamplePool[];
    let netLr = lr;
    if (method === 'proposed' || method === 'proposed-noem' || method === 'proposed-nodr') {
      const noDr = method === 'proposed-nodr';
      const M = Math.max(...Ms);
      pools = noDr ? getRaw(M) : getDr();
      const phi0 = activeRowEnergy(pools);
      const net = new FeatureAidedJadceNet({
        S: o.S,
        r: noDr ? M : rank,
        T,
        J: method === 'proposed-noem' ? 0 : J,
        prior: { lambda: Math.min(Math.max(o.eps, 1e-3), 0.5), phi: phi0 },
      });
      model = { kind: 'proposed', net, rank: noDr ? null : rank };
    } else {
      pools = Ms.map(getRaw);
      const net = method === 'lista-gs' ? listaGs({ S: o.S, T }) : alistaGs({ S: o.S, T });
      if (method === 'alista-gs') netLr = 10 * lr;
      model = { kind: method, net };
    }
    const res = await trainLayerwise(model.net, pools, {
      stepsPerStage,
      batch,
      lr: netLr,
      refineLrs: o.refineLrs,
      rng: o.rng.fork(`train-${method}`),
      signal: o.signal,
      onStage: (s) =>
        log(
          `[${method}] layer ${s.layer} ${s.kind}${s.emSteps ? ` (EM ${s.emSteps})` : ''}: NMSE ${(10 * Math.log10(s.loss)).toFixed(2)} dB`,
        ),
    });
    const seconds = (performance.now() - t0) / 1000;
    const finalLoss = res.stages.length ? res.stages[res.stages.length - 1].loss : Number.NaN;
    model.meta = {
      method,
      trainedOn: { M: Ms, eps: o.eps, snrDb: o.snrDb, samples, L: o.S.rows, N: o.S.cols },
      T,
      J: method === 'proposed' || method === 'proposed-nodr' ? J : 0,
      rank: method === 'proposed-nodr' || method.includes('lista') ? null : rank,
      stepsPerStage,
      batch,
      steps: res.steps,
      seconds,
      finalNmseDb: 10 * Math.log10(finalLoss),
    };
    result.models[method] = model;
    result.stats[method] = { seconds, steps: res.steps, finalLoss, stages: res.stages };
    log(
      `[${method}] trained in ${seconds.toFixed(1)} s (${res.steps} steps), final NMSE ${(10 * Math.log10(finalLoss)).toFixed(2)} dB`,
    );
  }
  return result;
}
