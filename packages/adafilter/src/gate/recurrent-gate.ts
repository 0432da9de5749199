/**
 * AdaFilter's recurrent gate (Guo et al., AAAI 2020, arXiv 1911.09659: "the RNN gate is shared across all the
 * layers", "conditioned on activations of the previous layer"), in the SkipNet `RNNGate` form (pool → project →
 * one LSTM shared over depth, state reset per forward pass) with an n_l-way two-logit head per layer:
 *   e_l = W^in_l · GAP(x_{l−1}) + b^in_l          (per-layer projection: channel counts differ) [reconstruction]
 *   (h_l, c_l) = LSTM(e_l, (h_{l−1}, c_{l−1})),  h_0 = c_0 = 0 per example     (time step = gated layer)
 *   a_l = W^out_l h_l + b^out_l ∈ R^{n_l × 2}     (two logits per filter, SpotTune style) [reconstruction]
 * The head bias starts at [0, logit(p0)] per filter, so P(fine-tuned) = p0 before training (`initFineTuneProb`).
 */
import { createRng, InvalidArgumentError, type Rng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link RecurrentGate}. */
export interface RecurrentGateOptions {
  /** Channels of the input x_{l−1} of each gate step. */
  inputChannels: number[];
  /** Decisions per step (n_l filters for per-filter gating, 1 for per-block gating). */
  outputs: number[];
  /** Width d of the projected input e_l. Default 16. */
  embedDim?: number;
  /** LSTM hidden size. Default 16. */
  hidden?: number;
  /** Initial probability of choosing the fine-tuned filter, in (0, 1). Default 0.5. */
  initFineTuneProb?: number;
  /** Initialiser seed (Glorot-uniform kernels). Default 0. */
  seed?: number | string;
}

/** LSTM state carried over depth. */
export interface GateState {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/** Glorot-uniform [fanIn, fanOut] from `rng`. */
function glorot(fanIn: number, fanOut: number, rng: Rng): tf.Tensor2D {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  const v = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < v.length; i++) v[i] = (2 * rng.uniform() - 1) * lim;
  return tf.tensor2d(v, [fanIn, fanOut]);
}

/** A trainable variable from a freshly built tensor (the builder's tensors are freed). */
const variable = (make: () => tf.Tensor): tf.Variable => tf.tidy(() => tf.variable(make(), true));

/** The recurrent gate network: per-layer projections, one shared LSTM cell, per-layer two-logit heads. */
export class RecurrentGate {
  readonly embedDim: number;
  readonly hidden: number;
  readonly steps: number;
  readonly inputChannels: number[];
  readonly outputs: number[];
  readonly initFineTuneProb: number;
  /** W^in_l [C_l, d], b^in_l [d]. */
  private readonly inW: tf.Variable[] = [];
  private readonly inB: tf.Variable[] = [];
  /** Shared LSTM kernel [d + h, 4h] and bias [4h] (gate order i, c̃, f, o of tf.basicLSTMCell). */
  private readonly lstmKernel: tf.Variable;
  private readonly lstmBias: tf.Variable;
  /** W^out_l [h, 2 n_l], b^out_l [2 n_l] (pairs: [pre-trained, fine-tuned] per decision). */
  private readonly outW: tf.Variable[] = [];
  private readonly outB: tf.Variable[] = [];

  constructor(o: RecurrentGateOptions) {
    this.embedDim = o.embedDim ?? 16;
    this.hidden = o.hidden ?? 16;
    this.initFineTuneProb = o.initFineTuneProb ?? 0.5;
    this.inputChannels = [...o.inputChannels];
    this.outputs = [...o.outputs];
    this.steps = o.inputChannels.length;
    for (const [k, v] of [
      ['embedDim', this.embedDim],
      ['hidden', this.hidden],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new InvalidArgumentError(`RecurrentGate: ${k} must be an integer ≥ 1, got ${v}`);
    }
    const p = this.initFineTuneProb;
    if (!(p > 0 && p < 1))
      throw new InvalidArgumentError(`RecurrentGate: initFineTuneProb must be in (0, 1), got ${p}`);
    if (this.steps < 1 || o.outputs.length !== this.steps) {
      throw new InvalidArgumentError(
        `RecurrentGate: need one output count per step (${this.steps} steps, ${o.outputs.length} output counts)`,
      );
    }
    const rng = createRng(o.seed ?? 0).fork('adafilter-gate');
    const d = this.embedDim;
    const h = this.hidden;
    const b1 = Math.log(p / (1 - p));
    for (let l = 0; l < this.steps; l++) {
      const C = this.inputChannels[l] as number;
      const n = this.outputs[l] as number;
      this.inW.push(variable(() => glorot(C, d, rng.fork(`in${l}`))));
      this.inB.push(variable(() => tf.zeros([d])));
      this.outW.push(variable(() => glorot(h, 2 * n, rng.fork(`out${l}`))));
      const bias = new Float32Array(2 * n);
      for (let j = 0; j < n; j++) bias[2 * j + 1] = b1;
      this.outB.push(variable(() => tf.tensor1d(bias)));
    }
    this.lstmKernel = variable(() => glorot(d + h, 4 * h, rng.fork('lstm')));
    this.lstmBias = variable(() => tf.zeros([4 * h]));
  }

  /** Trainable variables, in a stable order (projections, LSTM, heads). */
  get variables(): tf.Variable[] {
    return [...this.inW, ...this.inB, this.lstmKernel, this.lstmBias, ...this.outW, ...this.outB];
  }

  /** Zero state for a batch of `batch` examples. */
  start(batch: number): GateState {
    return { h: tf.zeros([batch, this.hidden]), c: tf.zeros([batch, this.hidden]) };
  }

  /**
   * One step over depth: the gate logits of step `l` from the layer input `x` ([B, H, W, C_l]).
   * @returns `logits` [B, n_l, 2] and the next state.
   */
  step(l: number, x: tf.Tensor4D, state: GateState): { logits: tf.Tensor3D; state: GateState } {
    const C = this.inputChannels[l];
    if (C === undefined) throw new InvalidArgumentError(`RecurrentGate: no step ${l} (${this.steps} steps)`);
    if (x.rank !== 4 || x.shape[3] !== C) {
      throw new InvalidArgumentError(`RecurrentGate: step ${l} expects [B, H, W, ${C}] input, got [${x.shape}]`);
    }
    const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
    const e = tf.add(tf.matMul(pooled, this.inW[l] as tf.Variable), this.inB[l] as tf.Variable) as tf.Tensor2D;
    // forget bias 1 (tf.basicLSTMCell's forgetBias argument), as in Keras / tfjs LSTMs
    const [c, h] = tf.basicLSTMCell(
      1,
      this.lstmKernel as tf.Tensor2D,
      this.lstmBias as tf.Tensor1D,
      e,
      state.c,
      state.h,
    );
    const a = tf.add(tf.matMul(h, this.outW[l] as tf.Variable), this.outB[l] as tf.Variable);
    const n = this.outputs[l] as number;
    return { logits: tf.reshape(a, [x.shape[0], n, 2]) as tf.Tensor3D, state: { h, c } };
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
