/**
 * Base class of the @ft optimizers (`sgd`, `adam`, `adamw`): our own implementations with PyTorch semantics,
 * per-parameter-group learning-rate and weight-decay settings, and slot state (momentum buffers, Adam moments and
 * step counts) that can be exported to and imported from checkpoints.
 *
 * We do not use `tf.train.*`: their weight decay, Nesterov and bias-correction conventions differ from PyTorch's,
 * their slot state is not exported in a stable order, and tfjs Adam uses `UnsortedSegmentSum`, which the wasm
 * backend lacks (tfjs#8082).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { checkNonNegative } from '../validate.js';

/**
 * A parameter group: variables that share a learning-rate multiplier and a weight decay, as PyTorch's
 * `param_groups` (e.g. no weight decay on BatchNorm and bias, a 10× smaller lr on a pre-trained backbone).
 */
export interface ParamGroup {
  /** The variables of this group. A variable in no group gets multiplier 1 and the optimizer's weight decay. */
  variables: tf.Variable[];
  /** Learning-rate multiplier: the group's lr is `lrMult · lr`. Default 1. */
  lrMult?: number;
  /** Absolute weight decay λ for this group, replacing the optimizer's (e.g. 0 for BN/bias). Default: the optimizer's. */
  weightDecay?: number;
  /** Weight-decay multiplier applied on top of `weightDecay` (or of the optimizer's). Default 1. */
  weightDecayMult?: number;
  /** Optional name, for messages. */
  name?: string;
}

/** A gradient for one variable, as passed to `Optimizer.applyGradients`. */
export interface GradientPair {
  variable: tf.Variable;
  grad: tf.Tensor;
}

/** Per-variable slot state: the update count and the named slot tensors (`buf`, `m`, `v`). */
export interface SlotState {
  step: number;
  slots: Record<string, tf.Tensor>;
}

/**
 * Exported optimizer state, in the order of the variable list given to `getState`. Entries are `null` for
 * variables that have not been updated yet. Tensors are referenced, not copied: do not dispose them.
 */
export interface OptimizerState {
  kind: string;
  lr: number;
  entries: Array<SlotState | null>;
}

interface ResolvedGroup {
  lrMult: number;
  weightDecay: number;
}

/** Hyper-parameters common to every optimizer. */
export interface OptimizerOptionsBase {
  /** Learning rate η (base value; a schedule passed to `fit` overrides it every step). */
  lr: number;
  /** Weight decay λ (coupled L2 for `sgd`/`adam`, decoupled for `adamw`). */
  weightDecay?: number;
  /** Parameter groups with their own lr multiplier / weight decay. */
  groups?: ParamGroup[];
}

/**
 * Abstract optimizer. Subclasses implement `updateVariable`, which is called inside `tf.tidy` once per variable and
 * step, and keep their slots in `this.state`.
 */
export abstract class Optimizer {
  /** Optimizer kind, stored in checkpoints (`'sgd'`, `'adam'`, `'adamw'`). */
  abstract readonly kind: string;
  /** Current base learning rate η. `fit` sets it from its schedule before every step. */
  lr: number;
  /** Default weight decay λ for variables in no group. */
  readonly weightDecay: number;
  /** Slot state keyed by variable name (unique within a tfjs engine). */
  protected readonly state = new Map<string, SlotState>();
  private groupOf = new Map<string, ResolvedGroup>();

  constructor(opts: OptimizerOptionsBase) {
    checkNonNegative(opts.lr, 'lr', 'optimizer');
    this.lr = opts.lr;
    this.weightDecay = opts.weightDecay ?? 0;
    checkNonNegative(this.weightDecay, 'weightDecay', 'optimizer');
    if (opts.groups) this.setGroups(opts.groups);
  }

  /** Replaces the parameter groups (see `ParamGroup`). A variable may appear in at most one group. */
  setGroups(groups: ParamGroup[]): void {
    const map = new Map<string, ResolvedGroup>();
    groups.forEach((g, i) => {
      const label = g.name ?? `groups[${i}]`;
      const lrMult = g.lrMult ?? 1;
      const wd = (g.weightDecay ?? this.weightDecay) * (g.weightDecayMult ?? 1);
      checkNonNegative(lrMult, `${label}.lrMult`, 'optimizer');
      checkNonNegative(wd, `${label}.weightDecay`, 'optimizer');
      for (const v of g.variables) {
        if (map.has(v.name)) {
          throw new InvalidArgumentError(`optimizer.setGroups: variable '${v.name}' is in more than one group`);
        }
        map.set(v.name, { lrMult, weightDecay: wd });
      }
    });
    this.groupOf = map;
  }

  /** The effective (lr, weight decay) of a variable under the current base lr and groups. */
  hyperParamsOf(variable: tf.Variable): { lr: number; weightDecay: number } {
    const g = this.groupOf.get(variable.name);
    return g ? { lr: this.lr * g.lrMult, weightDecay: g.weightDecay } : { lr: this.lr, weightDecay: this.weightDecay };
  }

  /**
   * Applies one update θ ← update(θ, g) to every pair. Runs inside `tf.tidy`; the gradients are not disposed
   * (the caller owns them). Slot tensors are replaced, never leaked: the tensor count is flat after the first step.
   */
  applyGradients(pairs: GradientPair[]): void {
    tf.tidy(() => {
      for (const { variable, grad } of pairs) {
        if (grad == null) continue;
        if (!shapesEqual(variable.shape, grad.shape)) {
          throw new ShapeError(
            `optimizer.applyGradients: gradient of '${variable.name}' has shape [${grad.shape}], variable has [${variable.shape}]`,
          );
        }
        const { lr, weightDecay } = this.hyperParamsOf(variable);
        let slot = this.state.get(variable.name);
        if (!slot) {
          slot = { step: 0, slots: {} };
          this.state.set(variable.name, slot);
        }
        slot.step += 1;
        this.updateVariable(variable, grad, lr, weightDecay, slot);
      }
    });
  }

  /**
   * One update of `variable` with gradient `grad`; `slot.step` is already incremented. Implementations must
   * `tf.keep` new slot tensors and dispose the replaced ones (use `setSlot`).
   */
  protected abstract updateVariable(
    variable: tf.Variable,
    grad: tf.Tensor,
    lr: number,
    weightDecay: number,
    slot: SlotState,
  ): void;

  /** Replaces slot `name` with `value` (kept), disposing the previous tensor. Call inside `tf.tidy`. */
  protected setSlot(slot: SlotState, name: string, value: tf.Tensor): void {
    const old = slot.slots[name];
    slot.slots[name] = tf.keep(value);
    if (old && old !== value) old.dispose();
  }

  /** Slot state in the order of `variables` (live tensors, not copies; `null` where never updated). */
  getState(variables: tf.Variable[]): OptimizerState {
    return {
      kind: this.kind,
      lr: this.lr,
      entries: variables.map((v) => {
        const s = this.state.get(v.name);
        return s ? { step: s.step, slots: { ...s.slots } } : null;
      }),
    };
  }

  /**
   * Restores slot state exported by `getState` onto `variables` (same order and shapes, possibly different names,
   * e.g. a model rebuilt in a new process). Tensors are copied; the caller keeps ownership of `state`.
   */
  setState(variables: tf.Variable[], state: OptimizerState): void {
    if (state.kind !== this.kind) {
      throw new InvalidArgumentError(`optimizer.setState: state is for '${state.kind}', optimizer is '${this.kind}'`);
    }
    if (state.entries.length !== variables.length) {
      throw new ShapeError(
        `optimizer.setState: state has ${state.entries.length} entries for ${variables.length} variables`,
      );
    }
    this.reset();
    state.entries.forEach((e, i) => {
      if (!e) return;
      const v = variables[i];
      const slots: Record<string, tf.Tensor> = {};
      for (const [name, t] of Object.entries(e.slots)) {
        if (!shapesEqual(t.shape, v.shape)) {
          throw new ShapeError(
            `optimizer.setState: slot '${name}' of variable ${i} ('${v.name}') has shape [${t.shape}], variable has [${v.shape}]`,
          );
        }
        slots[name] = tf.keep(t.clone());
      }
      this.state.set(v.name, { step: e.step, slots });
    });
    this.lr = state.lr;
  }

  /** Drops all slot state (disposing its tensors). */
  reset(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.slots)) t.dispose();
    this.state.clear();
  }

  /** Disposes the slot tensors. */
  dispose(): void {
    this.reset();
  }
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
