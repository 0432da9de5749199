/**
 * `BackboneSpec`: a plain-data description of a built network (ordered units with their tfjs layer names), for
 * methods that rewrite a network unit by unit (AdaFilter) and for tap discovery. `NetBuilder` builds a tfjs-layers
 * functional model and records the spec as it goes, with deterministic seeded initialisers.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors.js';
import { createRng, type Rng } from '../rng.js';
import { FtBatchNorm } from './ft-batch-norm.js';

/** Fields shared by every unit. */
export interface UnitBase {
  /** tfjs layer name (unique in the model). */
  name: string;
  /** Block the unit belongs to: `'stem'`, `'block1'`…`'blockN'`, `'head'`. */
  block: string;
  /** Layer names feeding this unit (`'input'` for the model input); two for a residual add. */
  inputs: string[];
  /** `'shortcut'` for the projection conv/BN of a residual block, otherwise `'main'`. */
  role: 'main' | 'shortcut';
}
/** 2-D convolution, NHWC, HWIO kernel, linear (activation is a separate `act` unit). */
export interface ConvUnit extends UnitBase {
  kind: 'conv';
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'same' | 'valid';
  useBias: boolean;
}
/** BatchNorm over the channel axis ({@link FtBatchNorm}). */
export interface BnUnit extends UnitBase {
  kind: 'bn';
  momentum: number;
  epsilon: number;
}
/** Element-wise activation (`linear` marks an identity tap such as `penultimate`). */
export interface ActUnit extends UnitBase {
  kind: 'act';
  activation: 'relu' | 'linear' | 'softmax';
}
/** Max pooling (`size`×`size`, stride `size`) or global average pooling. */
export interface PoolUnit extends UnitBase {
  kind: 'pool';
  pool: 'max' | 'gap';
  size?: number;
}
/** Residual sum `inputs[0] + inputs[1]` (main path, shortcut). */
export interface ResidualUnit extends UnitBase {
  kind: 'residual';
}
/** Flatten NHWC to [N, H·W·C]. */
export interface FlattenUnit extends UnitBase {
  kind: 'flatten';
}
/** Fully connected layer. */
export interface DenseUnit extends UnitBase {
  kind: 'dense';
  units: number;
  useBias: boolean;
  activation: 'relu' | 'linear';
}
/** One unit of a {@link BackboneSpec}. */
export type BackboneUnit = ConvUnit | BnUnit | ActUnit | PoolUnit | ResidualUnit | FlattenUnit | DenseUnit;

/** Plain-data description of a network built by a registered builder. */
export interface BackboneSpec {
  /** Builder name, e.g. `'resnet20'`. */
  arch: string;
  /** Input shape [H, W, C] (NHWC without batch). */
  inputShape: [number, number, number];
  numClasses: number;
  width: number;
  seed: number | string;
  /** Whether the model outputs logits (true) or softmax probabilities (false). */
  logits: boolean;
  /** Units in topological order (every layer of the model except the input). */
  units: BackboneUnit[];
  /** Block output layer names, in order (`block1`…`blockN`). */
  blocks: string[];
  /** Every named tap of the model: `stem`?, `block1..N`, `gap`?, `penultimate`, `logits` (and `probs`). */
  taps: string[];
  /** Width of the `penultimate` feature vector (input of the head). */
  featureDim: number;
}

/** A built model and its spec. */
export interface Backbone {
  model: tfl.LayersModel;
  spec: BackboneSpec;
}

/** Options shared by every builder. */
export interface BackboneOptions {
  /** Input shape [H, W, C]; default depends on the builder (28×28×1 for the small CNNs, 32×32×3 for ResNets). */
  inputShape?: [number, number, number];
  /** Number of output classes. Default 10. */
  numClasses?: number;
  /** Channel-width multiplier: every conv width c becomes max(1, round(c·width)). Default 1. */
  width?: number;
  /** Seed of the weight initialisers (each layer gets `createRng(seed).fork(arch).fork(layer).seedForTf()`). Default 0. */
  seed?: number | string;
  /** Output logits (true, default) or add a softmax layer named `probs` (false). */
  logits?: boolean;
  /**
   * BatchNorm momentum of the moving statistics (tfjs convention: new = m·old + (1−m)·batch; PyTorch's 0.1 is 0.9
   * here). Default 0.9, not tfjs' 0.99: fine-tuning runs of a few hundred steps leave 0.99-averages dominated by
   * stale early statistics (measured: ResNet-8 on 1,000 Fashion-MNIST images, 240 steps, test accuracy 23% with
   * 0.99 vs 78% with 0.9, identical training loss).
   */
  bnMomentum?: number;
  /** BatchNorm epsilon. Default 1e-3 (tfjs); PyTorch uses 1e-5. */
  bnEpsilon?: number;
  /** Model name. Default the arch name. */
  name?: string;
}

type Sym = tfl.SymbolicTensor;

/** Resolved options. */
export interface ResolvedBackboneOptions {
  inputShape: [number, number, number];
  numClasses: number;
  width: number;
  seed: number | string;
  logits: boolean;
  bnMomentum: number;
  bnEpsilon: number;
  name: string;
}

/** Fills the defaults of {@link BackboneOptions} and validates them. */
export function resolveBackboneOptions(
  arch: string,
  opts: BackboneOptions,
  defaultInput: [number, number, number],
): ResolvedBackboneOptions {
  const o: ResolvedBackboneOptions = {
    inputShape: opts.inputShape ?? defaultInput,
    numClasses: opts.numClasses ?? 10,
    width: opts.width ?? 1,
    seed: opts.seed ?? 0,
    logits: opts.logits ?? true,
    bnMomentum: opts.bnMomentum ?? 0.9,
    bnEpsilon: opts.bnEpsilon ?? 1e-3,
    name: opts.name ?? arch,
  };
  if (
    !Array.isArray(o.inputShape) ||
    o.inputShape.length !== 3 ||
    !o.inputShape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new InvalidArgumentError(
      `${arch}: inputShape must be [H, W, C] positive integers, got ${JSON.stringify(o.inputShape)}`,
    );
  }
  if (!Number.isInteger(o.numClasses) || o.numClasses < 1) {
    throw new InvalidArgumentError(`${arch}: numClasses must be a positive integer, got ${o.numClasses}`);
  }
  if (!(o.width > 0) || !Number.isFinite(o.width)) {
    throw new InvalidArgumentError(`${arch}: width must be a positive number, got ${o.width}`);
  }
  if (!(o.bnMomentum >= 0 && o.bnMomentum < 1)) {
    throw new InvalidArgumentError(`${arch}: bnMomentum must be in [0, 1), got ${o.bnMomentum}`);
  }
  return o;
}

/**
 * Builds a tfjs-layers functional model layer by layer while recording the {@link BackboneSpec}. Convolutions use
 * He-normal init (He et al. 2015, the ResNet init), dense layers Glorot-uniform (the tfjs default), both seeded per
 * layer so the same seed gives the same weights regardless of which other layers exist; biases start at zero.
 */
export class NetBuilder {
  readonly units: BackboneUnit[] = [];
  readonly input: Sym;
  private readonly rng: Rng;

  constructor(
    readonly arch: string,
    readonly opts: ResolvedBackboneOptions,
  ) {
    this.rng = createRng(opts.seed).fork(arch);
    this.input = tfl.input({ shape: opts.inputShape, name: 'input' });
  }

  /** Channel count after the width multiplier: max(1, round(c · width)). */
  ch(c: number): number {
    return Math.max(1, Math.round(c * this.opts.width));
  }

  private seed(layer: string): number {
    return this.rng.fork(layer).seedForTf();
  }

  private record<U extends BackboneUnit>(x: Sym | Sym[], unit: Omit<U, 'inputs'>): void {
    const xs = Array.isArray(x) ? x : [x];
    this.units.push({ ...unit, inputs: xs.map((t) => t.sourceLayer.name) } as U);
  }

  /** conv2d (He-normal, seeded), recorded as a `conv` unit; no bias unless `useBias` (BN follows). */
  conv(
    x: Sym,
    name: string,
    block: string,
    o: { filters: number; kernelSize?: number; strides?: number; padding?: 'same' | 'valid'; useBias?: boolean },
    role: 'main' | 'shortcut' = 'main',
  ): Sym {
    const u = {
      kind: 'conv' as const,
      name,
      block,
      role,
      filters: o.filters,
      kernelSize: o.kernelSize ?? 3,
      strides: o.strides ?? 1,
      padding: o.padding ?? 'same',
      useBias: o.useBias ?? false,
    };
    this.record<ConvUnit>(x, u);
    return tfl.layers
      .conv2d({
        name,
        filters: u.filters,
        kernelSize: u.kernelSize,
        strides: u.strides,
        padding: u.padding,
        useBias: u.useBias,
        kernelInitializer: tfl.initializers.heNormal({ seed: this.seed(name) }),
        biasInitializer: 'zeros',
      })
      .apply(x) as Sym;
  }

  /** {@link FtBatchNorm} with the builder's momentum/epsilon, recorded as a `bn` unit. */
  bn(x: Sym, name: string, block: string, role: 'main' | 'shortcut' = 'main'): Sym {
    this.record<BnUnit>(x, {
      kind: 'bn',
      name,
      block,
      role,
      momentum: this.opts.bnMomentum,
      epsilon: this.opts.bnEpsilon,
    });
    return new FtBatchNorm({ name, momentum: this.opts.bnMomentum, epsilon: this.opts.bnEpsilon }).apply(x) as Sym;
  }

  /** Activation layer (`relu` default), recorded as an `act` unit. */
  act(x: Sym, name: string, block: string, activation: 'relu' | 'linear' | 'softmax' = 'relu'): Sym {
    this.record<ActUnit>(x, { kind: 'act', name, block, role: 'main', activation });
    return tfl.layers.activation({ name, activation }).apply(x) as Sym;
  }

  /** size×size max-pool with stride size, recorded as a `pool` unit. */
  maxPool(x: Sym, name: string, block: string, size = 2): Sym {
    this.record<PoolUnit>(x, { kind: 'pool', name, block, role: 'main', pool: 'max', size });
    return tfl.layers.maxPooling2d({ name, poolSize: size, strides: size, padding: 'valid' }).apply(x) as Sym;
  }

  /** Global average pooling (default name `gap`), recorded as a `pool` unit. */
  gap(x: Sym, name = 'gap', block = 'head'): Sym {
    this.record<PoolUnit>(x, { kind: 'pool', name, block, role: 'main', pool: 'gap' });
    return tfl.layers.globalAveragePooling2d({ name }).apply(x) as Sym;
  }

  /** Flatten, recorded as a `flatten` unit. */
  flatten(x: Sym, name: string, block = 'head'): Sym {
    this.record<FlattenUnit>(x, { kind: 'flatten', name, block, role: 'main' });
    return tfl.layers.flatten({ name }).apply(x) as Sym;
  }

  /** Dense layer (Glorot-uniform, seeded; zero bias), recorded as a `dense` unit. */
  dense(x: Sym, name: string, block: string, units: number, activation: 'relu' | 'linear' = 'linear'): Sym {
    this.record<DenseUnit>(x, { kind: 'dense', name, block, role: 'main', units, useBias: true, activation });
    return tfl.layers
      .dense({
        name,
        units,
        activation,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: this.seed(name) }),
        biasInitializer: 'zeros',
      })
      .apply(x) as Sym;
  }

  /** Residual sum main + shortcut, recorded as a `residual` unit. */
  add(main: Sym, shortcut: Sym, name: string, block: string): Sym {
    this.record<ResidualUnit>([main, shortcut], { kind: 'residual', name, block, role: 'main' });
    return tfl.layers.add({ name }).apply([main, shortcut]) as Sym;
  }

  /**
   * Adds the `logits` dense head on `features` (plus `probs` softmax when `logits: false`) and returns the model
   * with its spec.
   * @param features the `penultimate` tensor (rank 2).
   * @param blocks block output names in order.
   */
  finish(features: Sym, blocks: string[]): Backbone {
    const featureDim = features.shape[features.shape.length - 1] as number;
    let out = this.dense(features, 'logits', 'head', this.opts.numClasses);
    if (!this.opts.logits) out = this.act(out, 'probs', 'head', 'softmax');
    const model = tfl.model({ inputs: this.input, outputs: out, name: this.opts.name });
    const names = new Set(this.units.map((u) => u.name));
    const taps = [
      ...['stem'].filter((n) => names.has(n)),
      ...blocks,
      ...['gap', 'penultimate', 'logits', 'probs'].filter((n) => names.has(n)),
    ];
    const spec: BackboneSpec = {
      arch: this.arch,
      inputShape: [...this.opts.inputShape] as [number, number, number],
      numClasses: this.opts.numClasses,
      width: this.opts.width,
      seed: this.opts.seed,
      logits: this.opts.logits,
      units: this.units,
      blocks,
      taps,
      featureDim,
    };
    return { model, spec };
  }
}
