/**
 * The L2-SP regulariser (Li, Grandvalet & Davoine, ICML 2018), as compared with plain L2 by Li et al. (ICLR 2020,
 * Sec. 3.4 / App. D): `(α/2)‖θ' − θ⁰‖² + (β/2)‖θ''‖²`, θ' the weights shared with the pre-trained source, θ⁰ their
 * pre-trained values, θ'' the new head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { isLayersModel, type Trainable } from '../models/module.js';
import { loadModel } from '../models/save-load.js';
import { checkNonNegative } from '../validate.js';

/** Which weights belong to the new head: a RegExp tested on each weight key, or a list of layer names / keys. */
export type HeadMatcher = RegExp | readonly string[];

/** Options of {@link L2SP} and {@link l2sp}. */
export interface L2SPOptions {
  /** α: strength of the pull of the shared weights towards their pre-trained values θ⁰ (λ1 of Li et al. 2018). */
  alpha: number;
  /** β: plain L2 strength on the head's weights (λ2). */
  beta: number;
  /** The head's weights (not pulled towards θ⁰, decayed towards 0 with β). */
  head: HeadMatcher;
}

/** Serialised form of {@link L2SP} (no tensor values: the reference is re-read from `reference`). */
export interface L2SPConfig extends tf.serialization.ConfigDict {
  alpha: number;
  beta: number;
  /** `{regex, flags}` for a RegExp matcher, or the list of names. */
  head: { regex: string; flags: string } | string[];
  /** The reference checkpoint (a model directory or model.json saved by core `saveModel`), or null. */
  reference: string | null;
}

/** One weight of a model as L2-SP sees it. */
interface WeightEntry {
  key: string;
  variable: tf.Variable;
}

/**
 * The key of each trainable weight: a LayersModel weight's original name `<layer>/<weight>` (stable across saving and
 * loading, unlike tfjs's uniquified variable names), or a Module variable's name.
 */
function trainableEntries(model: Trainable): WeightEntry[] {
  if (isLayersModel(model)) {
    return model.trainableWeights.map((w) => {
      const lv = w as unknown as { originalName: string; val: tf.Variable };
      return { key: lv.originalName, variable: lv.val };
    });
  }
  return model.trainableVariables.map((v) => ({ key: v.name, variable: v }));
}

/** Every weight (trainable or not) of a LayersModel by key, for reading a reference checkpoint. */
function allEntries(model: Trainable): WeightEntry[] {
  if (isLayersModel(model)) {
    return model.weights.map((w) => {
      const lv = w as unknown as { originalName: string; val: tf.Variable };
      return { key: lv.originalName, variable: lv.val };
    });
  }
  return [...model.trainableVariables, ...model.nonTrainableVariables].map((v) => ({ key: v.name, variable: v }));
}

/**
 * A copy of every weight of `model`, keyed as L2-SP keys them (`<layer>/<weight>` for a LayersModel, the variable
 * name for a Module): the θ⁰ to pass as `reference` before fine-tuning starts. The caller disposes the tensors.
 */
export function referenceWeights(model: Trainable): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const e of allEntries(model)) out[e.key] = tf.clone(e.variable);
  return out;
}

function checkHead(head: unknown, where: string): RegExp | string[] {
  if (head instanceof RegExp) return new RegExp(head.source, head.flags.replace(/[gy]/g, ''));
  if (Array.isArray(head) && head.every((h) => typeof h === 'string')) return [...head];
  throw new InvalidArgumentError(`${where}: head must be a RegExp or an array of layer names, got ${String(head)}`, {
    parameter: 'head',
  });
}

/**
 * The L2-SP regulariser as a serialisable tfjs class (registered as `'L2SP'`):
 * `Ω(θ) = (α/2)·Σ_{w ∉ head} ‖w − w⁰‖² + (β/2)·Σ_{w ∈ head} ‖w‖²` over the model's trainable weights.
 *
 * Its config stores α, β, the head matcher and the path of the reference checkpoint, never the reference values:
 * after `fromConfig`, call {@link L2SP.loadReference} (or {@link L2SP.bindReference}) before use. With `β = α` and a
 * zero reference this is the "L2" arm of Li et al.'s comparison (plain weight decay on the loss).
 *
 * Gradient: `α(w − w⁰)` on shared weights, `βw` on head weights. Weights match the reference by key (see
 * {@link referenceWeights}); a shared weight without a reference entry, or of another shape, is an error.
 */
export class L2SP extends tf.serialization.Serializable {
  static className = 'L2SP';
  readonly alpha: number;
  readonly beta: number;
  readonly head: RegExp | string[];
  /** Path of the reference checkpoint (stored in the config), or null when the reference is bound in memory only. */
  readonly referencePath: string | null;
  private ref: Map<string, tf.Tensor> | null = null;

  constructor(o: L2SPOptions & { reference?: string | null }) {
    super();
    if (!o || typeof o !== 'object') throw new InvalidArgumentError('L2SP: options are required');
    this.alpha = checkNonNegative(o.alpha, 'alpha', 'L2SP');
    this.beta = checkNonNegative(o.beta, 'beta', 'L2SP');
    this.head = checkHead(o.head, 'L2SP');
    if (o.reference !== undefined && o.reference !== null && typeof o.reference !== 'string') {
      throw new InvalidArgumentError('L2SP: reference must be a checkpoint path (string) or null');
    }
    this.referencePath = o.reference ?? null;
  }

  override getClassName(): string {
    return L2SP.className;
  }

  getConfig(): L2SPConfig {
    return {
      alpha: this.alpha,
      beta: this.beta,
      head: this.head instanceof RegExp ? { regex: this.head.source, flags: this.head.flags } : [...this.head],
      reference: this.referencePath,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const c = config as Partial<L2SPConfig>;
    const h = c.head as L2SPConfig['head'] | undefined;
    const head = Array.isArray(h)
      ? h
      : h && typeof h === 'object'
        ? new RegExp(String(h.regex), String(h.flags ?? ''))
        : h;
    return new cls({
      alpha: c.alpha,
      beta: c.beta,
      head,
      reference: c.reference ?? null,
    } as unknown as tf.serialization.ConfigDict);
  }

  /** True for a weight key that belongs to the head. */
  isHead(key: string): boolean {
    if (this.head instanceof RegExp) return this.head.test(key);
    const slash = key.lastIndexOf('/');
    const layer = slash >= 0 ? key.slice(0, slash) : key;
    return this.head.includes(key) || this.head.includes(layer);
  }

  /** True once a reference is bound. */
  get isBound(): boolean {
    return this.ref !== null;
  }

  /**
   * Binds θ⁰ from tensors keyed like {@link referenceWeights} (copies them; the caller keeps ownership of `ref`).
   * A previously bound reference is disposed.
   */
  bindReference(ref: tf.NamedTensorMap): this {
    if (!ref || typeof ref !== 'object') throw new InvalidArgumentError('L2SP: reference must be a NamedTensorMap');
    const next = new Map<string, tf.Tensor>();
    for (const [k, t] of Object.entries(ref)) {
      if (!t || typeof (t as tf.Tensor).dataSync !== 'function') {
        for (const v of next.values()) v.dispose();
        throw new InvalidArgumentError(`L2SP: reference['${k}'] is not a tensor`);
      }
      next.set(k, tf.keep(tf.cast(t, 'float32')));
    }
    this.dispose();
    this.ref = next;
    return this;
  }

  /**
   * Reads θ⁰ from the reference checkpoint (default: the stored `referencePath`), a model saved by core `saveModel`,
   * and binds it: the re-binding step after `fromConfig`.
   */
  async loadReference(path: string | null = this.referencePath): Promise<this> {
    if (!path) throw new InvalidArgumentError('L2SP.loadReference: no reference checkpoint path');
    const model = await loadModel(path);
    try {
      const ref = referenceWeights(model);
      try {
        this.bindReference(ref);
      } finally {
        tf.dispose(Object.values(ref));
      }
    } finally {
      model.dispose();
    }
    return this;
  }

  /** The shared/head split of `model`'s trainable weights, checked against the reference. */
  plan(model: Trainable): { shared: [tf.Variable, tf.Tensor][]; head: tf.Variable[] } {
    if (!this.ref) {
      throw new InvalidArgumentError('L2SP: no reference bound; call bindReference(...) or await loadReference()');
    }
    const shared: [tf.Variable, tf.Tensor][] = [];
    const head: tf.Variable[] = [];
    const missing: string[] = [];
    for (const e of trainableEntries(model)) {
      if (this.isHead(e.key)) {
        head.push(e.variable);
        continue;
      }
      const r = this.ref.get(e.key);
      if (!r) {
        missing.push(e.key);
        continue;
      }
      if (r.shape.length !== e.variable.shape.length || r.shape.some((d, i) => d !== e.variable.shape[i])) {
        throw new ShapeError(
          `L2SP: reference '${e.key}' has shape [${r.shape}] but the model's weight is [${e.variable.shape}]`,
          { shape: r.shape, expected: e.variable.shape },
        );
      }
      shared.push([e.variable, r]);
    }
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `L2SP: no reference for shared weight(s) ${missing.map((k) => `'${k}'`).join(', ')}; add them to head or to the reference`,
        { missing },
      );
    }
    return { shared, head };
  }

  /** `Ω(θ)` of `model` as a scalar tensor (differentiable in the model's variables). */
  loss(model: Trainable): tf.Scalar {
    const { shared, head } = this.plan(model);
    return tf.tidy(() => {
      let sp: tf.Scalar = tf.scalar(0);
      for (const [v, r] of shared) sp = tf.add(sp, tf.sum(tf.square(tf.sub(v, r))));
      let l2: tf.Scalar = tf.scalar(0);
      for (const v of head) l2 = tf.add(l2, tf.sum(tf.square(v)));
      return tf.add(tf.mul(this.alpha / 2, sp), tf.mul(this.beta / 2, l2)) as tf.Scalar;
    });
  }

  /** `(m) => Ω(m)`, the form core `fit({extraLoss})` takes; checks `model` against the reference once, now. */
  toLossFn(model: Trainable): (m: Trainable) => tf.Scalar {
    this.plan(model);
    return (m: Trainable) => this.loss(m);
  }

  /** Frees the bound reference. */
  dispose(): void {
    if (this.ref) for (const t of this.ref.values()) t.dispose();
    this.ref = null;
  }
}
tf.serialization.registerClass(L2SP);

/**
 * The L2-SP term for core `fit({extraLoss})`:
 * `(m) => (α/2)·Σ_{w ∉ head} ‖w − w⁰‖² + (β/2)·Σ_{w ∈ head} ‖w‖²` (Li et al. 2018; Li et al. 2020 Sec. 3.4, App. D:
 * α ∈ {0.1, 0.01, 0.001, 1e-4}, β = 0.01; the "L2" arm is β = α with a zero reference).
 * @param model the model being fine-tuned (its shared weights are checked against `reference` now).
 * @param o `{reference, alpha, beta, head}`: `reference` is θ⁰ keyed as {@link referenceWeights} gives it (copied).
 * @returns the loss function; its `regularizer` property is the underlying {@link L2SP} (dispose it when done).
 * @throws InvalidArgumentError for α or β < 0, a bad head matcher, or a shared weight without a reference;
 *   ShapeError for a reference of the wrong shape.
 */
export function l2sp(
  model: Trainable,
  o: L2SPOptions & { reference: tf.NamedTensorMap },
): ((m: Trainable) => tf.Scalar) & { regularizer: L2SP } {
  if (!o || typeof o !== 'object') throw new InvalidArgumentError('l2sp: options are required');
  const reg = new L2SP({ alpha: o.alpha, beta: o.beta, head: o.head }).bindReference(o.reference);
  try {
    const fn = reg.toLossFn(model);
    return Object.assign(fn, { regularizer: reg });
  } catch (e) {
    reg.dispose();
    throw e;
  }
}
