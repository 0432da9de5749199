/**
 * AdaFilter (Guo, Li, Wang, Rosing, "AdaFilter: Adaptive Filter Fine-tuning for Deep Transfer Learning", AAAI 2020,
 * arXiv 1911.09659): per example, a recurrent gate chooses for every filter of every gated convolution either the
 * frozen pre-trained filter S_l or its trainable fine-tuned copy F_l, after separate ("gated") BatchNorms:
 *   x_l = act( G_l ⊙ BN^F_l(F_l * x_{l−1}) + (1 − G_l) ⊙ BN^S_l(S_l * x_{l−1}) ),  G_l ∈ {0,1}^{B×n_l}.
 * No public implementation exists; what is reconstructed (marked [I] in the spec): BN before the mix, the gate's
 * per-layer projections and two-logit heads (see recurrent-gate.ts), deterministic argmax gates at evaluation,
 * frozen BN^S (moving statistics and affine), and which convolutions are gated (gating.ts).
 * Ablations and baselines built on the same network: random gates at a fixed rate, fixed gates, one shared BN per
 * layer instead of gated BN, and SpotTune-style per-block decisions (`granularity: 'block'`).
 */
import {
  type ApplyOptions,
  createRng,
  FtBatchNorm,
  InvalidArgumentError,
  type Module,
  type Rng,
  ShapeError,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkTau, gumbelSoftmaxST } from '../gate/gumbel.js';
import { type GateState, RecurrentGate } from '../gate/recurrent-gate.js';
import { type GatedConv, type GatedSelection, resolveGated } from './gating.js';
import type { BnPlan, ConvPlan, DensePlan, NetPlan, UnitPlan } from './plan.js';

/** Gate policy: learned (AdaFilter), Bernoulli(p) per example and filter (random baseline), or fixed 0/1. */
export type GatePolicy = 'learned' | { random: number } | { fixed: 0 | 1 };

/** Options of {@link AdaFilterNet} / `adaFilter`. */
export interface AdaFilterOptions {
  /** Classes of the new head. */
  numClasses: number;
  /** Gated convolutions (names or a predicate). Default: every conv except the stem and projection shortcuts. */
  gated?: GatedSelection;
  gate?: {
    /** Width of the projected gate input. Default 16. */
    embedDim?: number;
    /** LSTM hidden size. Default 16. */
    hidden?: number;
    /** Gumbel-Softmax temperature τ > 0. Default 5 (SpotTune's code). */
    tau?: number;
    /** Evaluation gates: deterministic argmax of the logits (default) or a Gumbel sample (SpotTune's test). */
    evalMode?: 'argmax' | 'sample';
    /** Initial P(fine-tuned filter) ∈ (0, 1). Default 0.5. */
    initFineTuneProb?: number;
  };
  bn?: {
    /** BN of the pre-trained path: `'frozen'` (default: statistics and affine fixed) or `'trainable'` (SpotTune). */
    pretrainedPath?: 'frozen' | 'trainable';
    /** One BN after the mix instead of gated BN (ablation). Default false. */
    shared?: boolean;
  };
  /** Gate policy. Default `'learned'`. */
  policy?: GatePolicy;
  /** `'filter'` (AdaFilter, default) or `'block'` (SpotTune-style: one decision per residual block / layer). */
  granularity?: 'filter' | 'block';
  /** `'new'` (default): a new Glorot-initialised head; `'source'`: keep the source head (same class count). */
  head?: 'new' | 'source';
  /** Seed of the new head, the gate initialisers and the evaluation RNG of random gates. Default 0. */
  seed?: number | string;
}

/** Result of {@link AdaFilterNet.forward}. */
export interface AdaFilterOutput {
  logits: tf.Tensor2D;
  /** Per gated conv: [B, n_l] gates in {0, 1} (1 = the fine-tuned filter). */
  gates: tf.Tensor2D[];
}

/** Variable groups for per-group learning rates. */
export interface AdaFilterParamGroups {
  /** Fine-tuned filters F_l, BN^F, and the plainly fine-tuned layers (stem, shortcuts, hidden dense layers). */
  finetuned: tf.Variable[];
  /** Gate network. */
  gate: tf.Variable[];
  /** New classification head. */
  head: tf.Variable[];
  /** Frozen pre-trained path: filters S_l and (default `bn.pretrainedPath: 'frozen'`) BN^S entirely. */
  frozen: tf.Variable[];
  /** Moving statistics of the trained BatchNorms: updated by training forwards, not by the optimizer. */
  movingStats: tf.Variable[];
}

/** Serializable form of the options (what `getConfig` stores). */
export interface AdaFilterConfig {
  format: 'ft-adafilter';
  version: 1;
  plan: NetPlan;
  gated: string[];
  numClasses: number;
  gate: { embedDim: number; hidden: number; tau: number; evalMode: 'argmax' | 'sample'; initFineTuneProb: number };
  bn: { pretrainedPath: 'frozen' | 'trainable'; shared: boolean };
  policy: GatePolicy;
  granularity: 'filter' | 'block';
  head: 'new' | 'source';
  seed: number | string;
}

type Layer = tfl.layers.Layer;
const val = (w: tfl.LayerVariable): tf.Variable => (w as unknown as { val: tf.Variable }).val;

function convLayer(u: ConvPlan, name: string, trainable: boolean): Layer {
  const l = tfl.layers.conv2d({
    name,
    filters: u.filters,
    kernelSize: u.kernelSize,
    strides: u.strides,
    padding: u.padding,
    dilationRate: u.dilation,
    useBias: u.useBias,
    activation: u.activation,
    trainable,
  });
  build(l, [null, null, null, u.inChannels]);
  return l;
}

function bnLayer(u: BnPlan, name: string, o: { trainable: boolean; frozenStats: boolean }): FtBatchNorm {
  const l = new FtBatchNorm({
    name,
    momentum: u.momentum,
    epsilon: u.epsilon,
    center: u.center,
    scale: u.scale,
    trainable: o.trainable,
    frozenStats: o.frozenStats,
  });
  build(l, [null, null, null, u.channels]);
  return l;
}

function denseLayer(u: DensePlan, name: string, units: number, seed?: number): Layer {
  const l = tfl.layers.dense({
    name,
    units,
    useBias: u.useBias,
    activation: name === u.name ? u.activation : 'linear',
    ...(seed !== undefined
      ? { kernelInitializer: tfl.initializers.glorotUniform({ seed }), biasInitializer: 'zeros' }
      : {}),
  });
  build(l, [null, u.inFeatures]);
  return l;
}

function build(l: Layer, shape: (number | null)[]): void {
  l.build(shape);
  (l as unknown as { built: boolean }).built = true;
}

/** Copies `values` into the layer's weights (same order as `layer.getWeights()`). */
function setWeights(l: Layer, values: tf.Tensor[] | undefined, who: string): void {
  if (!values) return;
  const ws = l.weights;
  if (ws.length !== values.length) {
    throw new ShapeError(`adaFilter: ${who} has ${values.length} weights, expected ${ws.length}`);
  }
  l.setWeights(values);
}

/** One gated convolution at run time. */
interface GatedRuntime {
  spec: GatedConv;
  /** Index of its gate step (per-filter: own step; per-block: the block's step). */
  step: number;
  /** First gated conv of its step (where the gate runs). */
  first: boolean;
  convS: Layer;
  convF: Layer;
  bnS?: FtBatchNorm;
  bnF?: FtBatchNorm;
  /** Shared BN (ablation `bn.shared`) replacing bnS/bnF. */
  bnShared?: FtBatchNorm;
}

/** The AdaFilter network, a core `Module` (trainable with core `fit` / `trainClassifier`). */
export class AdaFilterNet implements Module {
  readonly config: AdaFilterConfig;
  readonly gate?: RecurrentGate;
  private readonly gatedByConv = new Map<string, GatedRuntime>();
  private readonly fusedBn = new Set<string>();
  private readonly plain = new Map<string, Layer>();
  private readonly headLayer: Layer;
  private readonly headName: string;
  private readonly evalRng: Rng;
  private readonly stepWidths: number[] = [];

  /**
   * @param plan the source network's unit plan (`planFromModel`).
   * @param opts AdaFilter options.
   * @param weights the source weights per unit (copied; omit to build with fresh values, e.g. before loading).
   */
  constructor(plan: NetPlan, opts: AdaFilterOptions, weights?: Map<string, tf.Tensor[]>) {
    const g = opts.gate ?? {};
    const tau = g.tau ?? 5;
    checkTau(tau, 'adaFilter');
    if (!Number.isInteger(opts.numClasses) || opts.numClasses < 2) {
      throw new InvalidArgumentError(`adaFilter: numClasses must be an integer ≥ 2, got ${opts.numClasses}`);
    }
    const policy = opts.policy ?? 'learned';
    if (typeof policy === 'object' && 'random' in policy && !(policy.random >= 0 && policy.random <= 1)) {
      throw new InvalidArgumentError(`adaFilter: policy.random must be in [0, 1], got ${policy.random}`);
    }
    if (typeof policy === 'object' && 'fixed' in policy && policy.fixed !== 0 && policy.fixed !== 1) {
      throw new InvalidArgumentError(`adaFilter: policy.fixed must be 0 or 1, got ${policy.fixed}`);
    }
    const gated = resolveGated(plan, opts.gated);
    const head = findHead(plan);
    const headMode = opts.head ?? 'new';
    if (headMode === 'source' && head.units !== opts.numClasses) {
      throw new InvalidArgumentError(
        `adaFilter: head 'source' keeps the source head of ${head.units} classes, but numClasses is ${opts.numClasses}`,
      );
    }
    this.config = {
      format: 'ft-adafilter',
      version: 1,
      plan,
      gated: gated.map((x) => x.conv.name),
      numClasses: opts.numClasses,
      gate: {
        embedDim: g.embedDim ?? 16,
        hidden: g.hidden ?? 16,
        tau,
        evalMode: g.evalMode ?? 'argmax',
        initFineTuneProb: g.initFineTuneProb ?? 0.5,
      },
      bn: { pretrainedPath: opts.bn?.pretrainedPath ?? 'frozen', shared: opts.bn?.shared ?? false },
      policy,
      granularity: opts.granularity ?? 'filter',
      head: headMode,
      seed: opts.seed ?? 0,
    };
    const rng = createRng(this.config.seed).fork('adafilter');
    this.evalRng = rng.fork('eval-gates');
    this.headName = head.name;
    const byName = new Map(plan.units.map((u) => [u.name, u]));
    // gate steps: per filter, one per gated conv; per block, one per block key
    const stepOfBlock = new Map<string, number>();
    const stepInputs: number[] = [];
    for (const spec of gated) {
      const key = this.config.granularity === 'block' ? spec.block : spec.conv.name;
      let step = stepOfBlock.get(key);
      const first = step === undefined;
      if (step === undefined) {
        step = stepInputs.length;
        stepOfBlock.set(key, step);
        stepInputs.push(spec.conv.inChannels);
        this.stepWidths.push(this.config.granularity === 'block' ? 1 : spec.conv.filters);
      }
      const frozenBnS = this.config.bn.pretrainedPath === 'frozen';
      const rt: GatedRuntime = {
        spec,
        step,
        first,
        convS: convLayer(spec.conv, `${spec.conv.name}__pretrained`, false),
        convF: convLayer(spec.conv, spec.conv.name, true),
      };
      setWeights(rt.convS, weights?.get(spec.conv.name), spec.conv.name);
      setWeights(rt.convF, weights?.get(spec.conv.name), spec.conv.name);
      if (spec.bn) {
        const bn = byName.get(spec.bn) as BnPlan;
        this.fusedBn.add(spec.bn);
        if (this.config.bn.shared) {
          rt.bnShared = bnLayer(bn, spec.bn, { trainable: true, frozenStats: false });
          setWeights(rt.bnShared, weights?.get(spec.bn), spec.bn);
        } else {
          rt.bnS = bnLayer(bn, `${spec.bn}__pretrained`, { trainable: !frozenBnS, frozenStats: frozenBnS });
          rt.bnF = bnLayer(bn, spec.bn, { trainable: true, frozenStats: false });
          setWeights(rt.bnS, weights?.get(spec.bn), spec.bn);
          setWeights(rt.bnF, weights?.get(spec.bn), spec.bn);
        }
      }
      this.gatedByConv.set(spec.conv.name, rt);
    }
    for (const u of plan.units) {
      if (this.gatedByConv.has(u.name) || this.fusedBn.has(u.name)) continue;
      if (u.kind === 'conv') {
        const l = convLayer(u, u.name, true);
        setWeights(l, weights?.get(u.name), u.name);
        this.plain.set(u.name, l);
      } else if (u.kind === 'bn') {
        const l = bnLayer(u, u.name, { trainable: true, frozenStats: false });
        setWeights(l, weights?.get(u.name), u.name);
        this.plain.set(u.name, l);
      } else if (u.kind === 'dense' && u.name !== head.name) {
        const l = denseLayer(u, u.name, u.units);
        setWeights(l, weights?.get(u.name), u.name);
        this.plain.set(u.name, l);
      }
    }
    this.headLayer = denseLayer(
      head,
      `${head.name}__head`,
      opts.numClasses,
      headMode === 'new' ? rng.fork('head').seedForTf() : undefined,
    );
    if (headMode === 'source') setWeights(this.headLayer, weights?.get(head.name), head.name);
    if (policy === 'learned') {
      this.gate = new RecurrentGate({
        inputChannels: stepInputs,
        outputs: this.stepWidths,
        embedDim: this.config.gate.embedDim,
        hidden: this.config.gate.hidden,
        initFineTuneProb: this.config.gate.initFineTuneProb,
        seed: rngSeedOf(this.config.seed),
      });
    }
  }

  /**
   * Switches how learned gates are taken at evaluation: `'argmax'` (deterministic, the default) or `'sample'` (a
   * Gumbel sample, as SpotTune's test loop does; uses `opts.rng`, else the network's evaluation RNG).
   */
  setEvalMode(mode: 'argmax' | 'sample'): void {
    if (mode !== 'argmax' && mode !== 'sample') {
      throw new InvalidArgumentError(`AdaFilterNet.setEvalMode: expected 'argmax' or 'sample', got '${String(mode)}'`);
    }
    this.config.gate.evalMode = mode;
  }

  /** Gated convolution names, in order. */
  get gatedLayers(): string[] {
    return [...this.config.gated];
  }

  /** Filters of each gated convolution. */
  get gatedFilters(): number[] {
    return [...this.gatedByConv.values()].map((r) => r.spec.conv.filters);
  }

  /** Logits (core `Module` forward; call inside `tf.tidy`, which frees the gate tensors). */
  apply(x: tf.Tensor, opts: ApplyOptions): tf.Tensor {
    return this.forward(x, opts).logits;
  }

  /**
   * Forward pass with the gate decisions. Training with learned gates samples straight-through Gumbel-Softmax gates
   * (needs `opts.rng`); evaluation takes argmax gates (or samples, `gate.evalMode: 'sample'`). Call inside `tf.tidy`
   * (intermediate tensors are not freed here); the returned gates may share memory with each other.
   * `opts.gates` replaces the decisions by given gates ([B, n_l] per gated conv, e.g. counterfactual analyses).
   */
  forward(x: tf.Tensor, opts: ApplyOptions & { gates?: tf.Tensor[] }): AdaFilterOutput {
    const [H, W, C] = this.config.plan.inputShape;
    if (x.rank !== 4 || x.shape[1] !== H || x.shape[2] !== W || x.shape[3] !== C) {
      throw new ShapeError(`AdaFilterNet: expected input [B, ${H}, ${W}, ${C}], got [${x.shape}]`);
    }
    if (x.dtype !== 'float32') throw new InvalidArgumentError(`AdaFilterNet: expected float32 input, got ${x.dtype}`);
    const training = opts.training;
    const rng = opts.rng;
    const B = x.shape[0];
    const outs = new Map<string, tf.Tensor>([['input', x]]);
    const gates: tf.Tensor2D[] = [];
    const stepGates: tf.Tensor2D[] = [];
    const forced = opts.gates;
    if (forced && forced.length !== this.gatedByConv.size) {
      throw new InvalidArgumentError(
        `AdaFilterNet: opts.gates needs ${this.gatedByConv.size} tensors, got ${forced.length}`,
      );
    }
    let state: GateState | undefined = forced ? undefined : this.gate?.start(B);
    let gi = 0;
    for (const u of this.config.plan.units) {
      if (this.fusedBn.has(u.name)) continue;
      const input = (i = 0) => outs.get(u.inputs[i] as string) as tf.Tensor;
      const rt = this.gatedByConv.get(u.name);
      if (rt) {
        const xin = input() as tf.Tensor4D;
        const forcedGate = forced?.[gi++];
        if (forcedGate) {
          if (forcedGate.shape.join() !== [B, rt.spec.conv.filters].join()) {
            throw new ShapeError(
              `AdaFilterNet: opts.gates for '${u.name}' must be [${B}, ${rt.spec.conv.filters}], got [${forcedGate.shape}]`,
            );
          }
          stepGates[rt.step] = forcedGate as tf.Tensor2D;
        } else if (rt.first) {
          const { g, next } = this.decide(rt.step, xin, state, { training, B, ...(rng ? { rng } : {}) });
          state = next;
          stepGates[rt.step] = g;
        }
        const step = stepGates[rt.step] as tf.Tensor2D;
        const G = (
          step.shape[1] === 1 && rt.spec.conv.filters > 1 ? tf.tile(step, [1, rt.spec.conv.filters]) : step
        ) as tf.Tensor2D;
        gates.push(G);
        const g4 = tf.reshape(G, [B, 1, 1, rt.spec.conv.filters]);
        const zS = rt.convS.apply(xin) as tf.Tensor;
        const zF = rt.convF.apply(xin, { training }) as tf.Tensor;
        let y: tf.Tensor;
        if (rt.bnShared) {
          y = rt.bnShared.apply(tf.add(zS, tf.mul(g4, tf.sub(zF, zS))), { training }) as tf.Tensor;
        } else {
          const yS = rt.bnS ? (rt.bnS.apply(zS, { training }) as tf.Tensor) : zS;
          const yF = rt.bnF ? (rt.bnF.apply(zF, { training }) as tf.Tensor) : zF;
          y = tf.add(yS, tf.mul(g4, tf.sub(yF, yS)));
        }
        outs.set(rt.spec.bn ?? u.name, y);
        continue;
      }
      outs.set(u.name, this.runUnit(u, input, training));
      if (u.name === this.headName) break;
    }
    return { logits: outs.get(this.headName) as tf.Tensor2D, gates };
  }

  /** Gate decisions of one step: [B, width] in {0, 1}. */
  private decide(
    step: number,
    xin: tf.Tensor4D,
    state: GateState | undefined,
    o: { training: boolean; B: number; rng?: Rng },
  ): { g: tf.Tensor2D; next: GateState | undefined } {
    const width = this.stepWidths[step] as number;
    const policy = this.config.policy;
    if (policy !== 'learned') {
      if ('fixed' in policy) return { g: tf.fill([o.B, width], policy.fixed) as tf.Tensor2D, next: state };
      const r = o.rng ?? this.evalRng;
      const v = new Float32Array(o.B * width);
      for (let i = 0; i < v.length; i++) v[i] = r.uniform() < policy.random ? 1 : 0;
      return { g: tf.tensor2d(v, [o.B, width]), next: state };
    }
    const gate = this.gate as RecurrentGate;
    const { logits, state: next } = gate.step(step, xin, state as GateState);
    const sample = o.training || this.config.gate.evalMode === 'sample';
    let g: tf.Tensor2D;
    if (sample) {
      const r = o.rng ?? (o.training ? undefined : this.evalRng);
      if (!r) throw new InvalidArgumentError('AdaFilterNet: training with learned gates needs opts.rng (Gumbel noise)');
      const { hard, soft } = gumbelSoftmaxST(logits, this.config.gate.tau, r);
      soft.dispose();
      g = tf.reshape(tf.slice(hard, [0, 0, 1], [-1, -1, 1]), [o.B, width]) as tf.Tensor2D;
    } else {
      const [a0, a1] = tf.split(logits, 2, 2) as [tf.Tensor, tf.Tensor];
      // step(a1 − a0) = 1 where a1 > a0 (ties: pre-trained). Not cast(greater(…)): on ft-native a bool→float32 cast
      // is not Float32Array-backed and the broadcast multiply of the mix then runs ~40× slower.
      g = tf.reshape(tf.step(tf.sub(a1, a0)), [o.B, width]) as tf.Tensor2D;
    }
    return { g, next };
  }

  /** A non-gated unit. */
  private runUnit(u: UnitPlan, input: (i?: number) => tf.Tensor, training: boolean): tf.Tensor {
    switch (u.kind) {
      case 'conv':
      case 'bn':
        return (this.plain.get(u.name) as Layer).apply(input(), { training }) as tf.Tensor;
      case 'dense':
        return ((u.name === this.headName ? this.headLayer : this.plain.get(u.name)) as Layer).apply(input(), {
          training,
        }) as tf.Tensor;
      case 'act':
        return u.activation === 'relu' ? tf.relu(input()) : u.activation === 'softmax' ? tf.softmax(input()) : input();
      case 'pool':
        return u.pool === 'gap'
          ? tf.mean(input(), [1, 2])
          : tf.maxPool(input() as tf.Tensor4D, u.poolSize, u.strides, u.padding);
      case 'flatten':
        return tf.reshape(input(), [input().shape[0] as number, -1]);
      case 'add':
        return tf.add(input(0), input(1));
    }
  }

  /** The layers of the network (for variables). */
  private get layers(): Layer[] {
    const out: Layer[] = [];
    for (const rt of this.gatedByConv.values()) {
      out.push(rt.convF, rt.convS);
      for (const b of [rt.bnF, rt.bnS, rt.bnShared]) if (b) out.push(b);
    }
    out.push(...this.plain.values(), this.headLayer);
    return out;
  }

  /** Per-group variables for per-group learning rates (see {@link AdaFilterParamGroups}). */
  paramGroups(): AdaFilterParamGroups {
    const head = this.headLayer.trainableWeights.map(val);
    const gate = this.gate?.variables ?? [];
    const finetuned: tf.Variable[] = [];
    const frozen: tf.Variable[] = [];
    const movingStats: tf.Variable[] = [];
    const pretrained = new Set<Layer>();
    for (const rt of this.gatedByConv.values()) {
      pretrained.add(rt.convS);
      if (rt.bnS && this.config.bn.pretrainedPath === 'frozen') pretrained.add(rt.bnS);
    }
    for (const l of this.layers) {
      if (l === this.headLayer) continue;
      if (pretrained.has(l)) frozen.push(...l.weights.map(val));
      else {
        finetuned.push(...l.trainableWeights.map(val));
        movingStats.push(...l.nonTrainableWeights.map(val));
      }
    }
    return { finetuned, gate, head, frozen, movingStats };
  }

  /** Trainable variables: fine-tuned filters and layers, gate, head (stable order). */
  get trainableVariables(): tf.Variable[] {
    const g = this.paramGroups();
    return [...g.finetuned, ...g.gate, ...g.head];
  }

  /** Variables saved but not trained: the frozen pre-trained path and the moving statistics (stable order). */
  get nonTrainableVariables(): tf.Variable[] {
    const g = this.paramGroups();
    return [...g.frozen, ...g.movingStats];
  }

  /** The pre-trained filter bank S_l of a gated convolution (for checks). */
  pretrainedKernel(conv: string): tf.Variable {
    const rt = this.gatedByConv.get(conv);
    if (!rt) throw new InvalidArgumentError(`AdaFilterNet: '${conv}' is not a gated convolution`);
    return val(rt.convS.weights[0] as tfl.LayerVariable);
  }

  /** The fine-tuned filter bank F_l of a gated convolution (for checks). */
  finetunedKernel(conv: string): tf.Variable {
    const rt = this.gatedByConv.get(conv);
    if (!rt) throw new InvalidArgumentError(`AdaFilterNet: '${conv}' is not a gated convolution`);
    return val(rt.convF.weights[0] as tfl.LayerVariable);
  }

  /** JSON configuration that rebuilds the network (`AdaFilterNet.fromConfig`). */
  getConfig(): Record<string, unknown> {
    return structuredClone(this.config) as unknown as Record<string, unknown>;
  }

  /** Rebuilds an untrained network of the same shape from {@link getConfig}'s output (load weights next). */
  static fromConfig(config: AdaFilterConfig): AdaFilterNet {
    return new AdaFilterNet(config.plan, {
      numClasses: config.numClasses,
      gated: config.gated,
      gate: config.gate,
      bn: config.bn,
      policy: config.policy,
      granularity: config.granularity,
      head: config.head,
      seed: config.seed,
    });
  }

  /** Frees every variable. */
  dispose(): void {
    for (const l of this.layers) for (const w of l.weights) w.dispose();
    this.gate?.dispose();
  }
}

/** The classification head: the dense unit producing the output (or feeding the output softmax). */
function findHead(plan: NetPlan): DensePlan {
  const byName = new Map(plan.units.map((u) => [u.name, u]));
  let out = byName.get(plan.output);
  if (out?.kind === 'act' && out.activation === 'softmax') out = byName.get(out.inputs[0] as string);
  if (out?.kind !== 'dense') {
    throw new InvalidArgumentError(
      `adaFilter: the model output '${plan.output}' is not a dense head (or a softmax over one); AdaFilter replaces that head`,
    );
  }
  return out;
}

function rngSeedOf(seed: number | string): string {
  return `${seed}/adafilter-gate`;
}
