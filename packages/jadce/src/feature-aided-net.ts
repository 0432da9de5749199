/**
 * `FeatureAidedJadceNet` — OUR RECONSTRUCTION of the network of X. Shao, X. Chen, Y. Qiang, C. Zhong, Z. Zhang,
 * "Feature-Aided Adaptive-Tuning Deep Learning for Massive Device Detection", arXiv 2012.13523 (2020; reportedly
 * IEEE JSAC 39(7), 2021). Only the abstract was available: it names a dimension-reduction module, a deep-learning
 * module trained by "prior-feature learning followed by an adaptive-tuning strategy", an inner network of "EM +
 * back-propagation" that jointly tunes the precision and learns the distribution parameters of the device state
 * matrix, and "inner layer-by-layer and outer layer-by-layer training". The layer equations, learnable parameters and
 * constants below are NOT the authors'; they are built from the standard LAMP (Borgerding et al., IEEE TSP 2017) and
 * EM-BG-AMP (Vila & Schniter, IEEE TSP 2013) machinery the abstract names (a reconstruction: see docs/results/jadce.md).
 *
 * Input: Y_r ∈ C^{L×r} (after `dimensionReduction`, or Y itself with r = M for the "without DR" ablation) with the
 * fixed pilots S. Prior on each row of X_r: x_n ~ (1 − λ)δ₀ + λ·CN(0, φ·I_r); Θ₀ = {λ, φ} is learned offline
 * ("prior-feature learning"); λ, φ and the effective noise τ are re-tuned per instance by EM ("adaptive tuning").
 *
 * Outer layer t = 1..T (X⁰ = 0, V⁰ = Y_r, b₁ = 0):
 *   V^t = Y_r − S X^{t−1} + b_t V^{t−1},   R^t = X^{t−1} + B_t V^t   (B_t ∈ C^{N×L} learnable, init Sᴴ),
 *   τ ← ‖V^t‖²_F / (L·r) per realisation (AMP's estimate of the effective noise).
 * Inner EM network j = 1..J (on the row norms ‖r_n‖² only, so it costs O(N) per step):
 *   E-step: the Bernoulli–Gaussian row posterior π_n, g = φ/(φ+τ), v_n of `bg-posterior.ts` (π from log-odds);
 *   M-step: λ' = mean_n π_n;  φ' = Σ_n π_n(g²‖r_n‖²/r + gτ) / Σ_n π_n;
 *           τ' = (1/(N r)) Σ_n [π_n((1−g)²‖r_n‖² + r·gτ) + (1 − π_n)‖r_n‖²]   (`tauUpdate: 'em'`, default), or τ kept
 *           at the AMP estimate (`'residual'`);
 *   blend:  p ← ρ_{t,j}·p' + (1 − ρ_{t,j})·p for p ∈ {λ, φ, τ}, ρ = 0.05 + 0.95·sigmoid(free logit).
 * Output: a final E-step gives X̂ = π_n·g·r_n and π^t (kept for detection); b_{t+1} = (N/L)·mean_n v_n / τ (Onsager);
 * outer damping X^t = (1 − d_t)·X̂ + d_t·X^{t−1} (b blended the same way), d_t = sigmoid(learned logit), init 0.5;
 * λ, φ carry over to layer t + 1 (τ is re-estimated from V^{t+1}).
 * With J = 0 (the "without EM tuning" ablation) each layer instead has its own learned λ_t, φ_t and τ is the AMP
 * estimate: a LAMP network with a learned Bernoulli–Gaussian MMV denoiser.
 *
 * Departures from the spec text and why [I]: the τ M-step uses the EM update of the decoupled pseudo-measurement
 * model R = X + CN(0, τI) rather than the spec's σ² formula, because it needs no extra S·X̂ product per inner step
 * (the spec's form costs an L×N×r product per EM step on the pure-JS backend); the Onsager term is computed
 * (not learned); the outer damping d_t is added because at these finite sizes the undamped AMP recursion the layers
 * start from diverges (see `ampMmv`), which made deeper layers untrainable. Parameterisation as the spec: λ, ρ through sigmoids of free logits, φ through softplus, π through
 * the log-odds (no overflow). All variables are float32 tfjs variables; the forward pass is differentiable end to end.
 */

import { type ApplyOptions, InvalidArgumentError, type Module, type NpyArray, npyArray, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { realify } from './complex-tensor.js';
import type { CMat } from './host-complex.js';
import { applyRealified, colMean, colSum, groupNorms2, sampleNorms2, scaleGroups, scaleSamples } from './net-layout.js';

/** Options of `FeatureAidedJadceNet`. */
export interface FeatureAidedJadceNetOptions {
  /** Fixed pilot matrix S [L, N] (B_t is learned for this S: a new S needs retraining). */
  S: CMat;
  /** Number of complex columns of the input (the DR rank r, or M without DR). */
  r: number;
  /** Outer layers T (default 10). */
  T?: number;
  /** Inner EM steps per layer J (default 3; 0 = ablation without EM tuning). */
  J?: number;
  /** Learn B_t (default true; false keeps B_t = Sᴴ, i.e. plain AMP linear steps). */
  learnB?: boolean;
  /** Initial prior Θ₀ (default λ = 0.05, φ = 1). */
  prior?: { lambda: number; phi: number };
  /** One damping ρ for all EM steps (`'shared'`) or one per (layer, step) (`'perLayer'`, default). */
  damping?: 'shared' | 'perLayer';
  /** τ M-step: `'em'` (default) or `'residual'` (keep AMP's ‖V‖²/(Lr)). */
  tauUpdate?: 'em' | 'residual';
  /** Initial ρ (default 0.5). */
  rho0?: number;
  /** Initial outer damping d_t (default 0.5; learnable per layer; 0 disables it and its variables). */
  outerDamping?: number;
}

/** Output of `FeatureAidedJadceNet.run`: one entry per outer layer. */
export interface FeatureAidedOutput {
  /** X^t in the network layout [2N, B, r]. */
  X: tf.Tensor3D[];
  /** Posterior activity probabilities π^t [N, B]. */
  pi: tf.Tensor2D[];
}

const RHO_MIN = 0.05;
let instances = 0;
const softplusInv = (y: number) => Math.log(Math.expm1(y));
const logit = (p: number) => Math.log(p / (1 - p));

interface LayerVars {
  /** Outer damping logit (d_t = sigmoid). */
  delta?: tf.Variable;
  Bre?: tf.Variable;
  Bim?: tf.Variable;
  rho?: tf.Variable;
  lambda?: tf.Variable;
  phi?: tf.Variable;
}

/** The reconstructed feature-aided adaptive-tuning unrolled network (see the file header). */
export class FeatureAidedJadceNet implements Module {
  readonly N: number;
  readonly L: number;
  readonly r: number;
  readonly T: number;
  readonly J: number;
  readonly learnB: boolean;
  readonly damping: 'shared' | 'perLayer';
  readonly tauUpdate: 'em' | 'residual';
  readonly S: CMat;
  private readonly prior: { lambda: number; phi: number };
  private readonly rho0: number;
  readonly outerDamping: number;
  private readonly Sr: tf.Tensor2D;
  private readonly SHr: tf.Tensor2D;
  private readonly lambda0: tf.Variable;
  private readonly phi0: tf.Variable;
  private readonly sharedRho?: tf.Variable;
  private readonly layers: LayerVars[] = [];
  private readonly shortNames = new Map<tf.Variable, string>();

  constructor(o: FeatureAidedJadceNetOptions) {
    const { S } = o;
    this.S = S;
    this.L = S.rows;
    this.N = S.cols;
    this.r = o.r;
    this.T = o.T ?? 10;
    this.J = o.J ?? 3;
    this.learnB = o.learnB ?? true;
    this.damping = o.damping ?? 'perLayer';
    this.tauUpdate = o.tauUpdate ?? 'em';
    this.prior = o.prior ?? { lambda: 0.05, phi: 1 };
    this.rho0 = o.rho0 ?? 0.5;
    this.outerDamping = o.outerDamping ?? 0.5;
    for (const [k, v, ok] of [
      ['r', this.r, Number.isInteger(this.r) && this.r >= 1],
      ['T', this.T, Number.isInteger(this.T) && this.T >= 1],
      ['J', this.J, Number.isInteger(this.J) && this.J >= 0],
      ['prior.lambda', this.prior.lambda, this.prior.lambda > 0 && this.prior.lambda < 1],
      ['prior.phi', this.prior.phi, this.prior.phi > 0],
      ['rho0', this.rho0, this.rho0 > RHO_MIN && this.rho0 < 1],
      ['outerDamping', this.outerDamping, this.outerDamping >= 0 && this.outerDamping < 1],
    ] as const) {
      if (!ok) throw new InvalidArgumentError(`FeatureAidedJadceNet: invalid ${k} = ${v}`);
    }
    if (this.L > this.N) {
      throw new InvalidArgumentError(
        `FeatureAidedJadceNet assumes L ≤ N (AMP-type layers), got L=${this.L} > N=${this.N}`,
      );
    }
    const sre = tf.tensor2d(Float32Array.from(S.re), [this.L, this.N]);
    const sim = tf.tensor2d(Float32Array.from(S.im), [this.L, this.N]);
    this.Sr = tf.keep(realify({ re: sre, im: sim }));
    this.SHr = tf.keep(tf.transpose(this.Sr));
    const rhoLogit = logit((this.rho0 - RHO_MIN) / (1 - RHO_MIN));
    // tfjs variable names are global: prefix them per instance, and save weights under the short names
    const prefix = `FeatureAidedJadceNet${instances++}/`;
    const variable = (init: tf.Tensor, name: string) => {
      const v = tf.variable(init, true, prefix + name);
      init.dispose(); // the variable holds its own reference to the data
      this.shortNames.set(v, name);
      return v;
    };
    this.lambda0 = variable(tf.scalar(logit(this.prior.lambda)), 'lambda0');
    this.phi0 = variable(tf.scalar(softplusInv(this.prior.phi)), 'phi0');
    if (this.damping === 'shared' && this.J > 0) this.sharedRho = variable(tf.scalar(rhoLogit), 'rho');
    for (let t = 0; t < this.T; t++) {
      const lv: LayerVars = {};
      if (this.outerDamping > 0) lv.delta = variable(tf.scalar(logit(this.outerDamping)), `delta${t}`);
      if (this.learnB) {
        lv.Bre = variable(tf.transpose(sre), `B${t}_re`);
        lv.Bim = variable(
          tf.tidy(() => tf.neg(tf.transpose(sim))),
          `B${t}_im`,
        );
      }
      if (this.J > 0 && this.damping === 'perLayer') lv.rho = variable(tf.fill([this.J], rhoLogit), `rho${t}`);
      if (this.J === 0) {
        lv.lambda = variable(tf.scalar(logit(this.prior.lambda)), `layer${t}_lambda`);
        lv.phi = variable(tf.scalar(softplusInv(this.prior.phi)), `layer${t}_phi`);
      }
      this.layers.push(lv);
    }
    sre.dispose();
    sim.dispose();
  }

  /** Variables introduced by outer layer `t` (0-based); layer 0 also owns Θ₀ and a shared ρ. */
  layerVariables(t: number): tf.Variable[] {
    const lv = this.layers[t];
    const out: tf.Variable[] = [];
    if (t === 0) {
      if (this.J > 0) out.push(this.lambda0, this.phi0);
      if (this.sharedRho) out.push(this.sharedRho);
    }
    for (const v of [lv.Bre, lv.Bim, lv.rho, lv.lambda, lv.phi, lv.delta]) if (v) out.push(v);
    return out;
  }

  /** Every trainable variable, layer by layer. */
  get trainableVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (let t = 0; t < this.T; t++) out.push(...this.layerVariables(t));
    return out;
  }

  readonly nonTrainableVariables: tf.Variable[] = [];

  /** Damping ρ_{t,j} as a scalar tensor. */
  private rho(t: number, j: number): tf.Tensor {
    const z = this.sharedRho ?? tf.slice(this.layers[t].rho!, [j], [1]);
    return tf.add(RHO_MIN, tf.mul(1 - RHO_MIN, tf.sigmoid(z)));
  }

  /**
   * Runs the first `layers` outer layers (default T) on Y_r in the network layout [2L, B, r] (see `net-layout.ts`);
   * `lastLayerEmSteps` limits the inner EM steps of the last layer run (for inner layer-by-layer training).
   * Call inside `tf.tidy` / `tf.variableGrads`.
   */
  run(Yr: tf.Tensor3D, o: { layers?: number; lastLayerEmSteps?: number } = {}): FeatureAidedOutput {
    const layers = o.layers ?? this.T;
    const lastJ = o.lastLayerEmSteps ?? this.J;
    const [L2, B, r] = Yr.shape;
    if (L2 !== 2 * this.L || r !== this.r) {
      throw new ShapeError(
        `FeatureAidedJadceNet: expected input [2L=${2 * this.L}, B, r=${this.r}], got [${Yr.shape}]`,
      );
    }
    if (!(layers >= 1 && layers <= this.T))
      throw new InvalidArgumentError(`layers must be in [1, ${this.T}], got ${layers}`);
    const N = this.N;
    const L = this.L;
    const Xs: tf.Tensor3D[] = [];
    const pis: tf.Tensor2D[] = [];
    let X: tf.Tensor3D | null = null;
    let V: tf.Tensor3D = Yr;
    let VPrev: tf.Tensor3D = Yr;
    let b: tf.Tensor1D | null = null;
    // per-realisation parameters are rank-1 [B] tensors: against [N, B] they broadcast along the leading axis, which
    // the pure-JS backend handles on its fast path
    const ones = tf.ones([B]);
    let lam: tf.Tensor = tf.mul(ones, tf.sigmoid(this.lambda0));
    let phi: tf.Tensor = tf.mul(ones, tf.add(tf.softplus(this.phi0), 1e-6));
    for (let t = 0; t < layers; t++) {
      const lv = this.layers[t];
      if (X) {
        V = tf.sub(Yr, applyRealified(this.Sr, X));
        if (b) V = tf.add(V, scaleSamples(VPrev, b));
      }
      const Bt = lv.Bre ? realify({ re: lv.Bre, im: lv.Bim! }) : this.SHr;
      const BV = applyRealified(Bt, V);
      const R: tf.Tensor3D = X ? tf.add(X, BV) : BV;
      const r2 = groupNorms2(R); // [N, B]
      let tau: tf.Tensor = tf.maximum(tf.div(sampleNorms2(V), L * r), 1e-9);
      if (this.J === 0) {
        lam = tf.mul(ones, tf.sigmoid(lv.lambda!));
        phi = tf.mul(ones, tf.add(tf.softplus(lv.phi!), 1e-6));
      }
      const J = t === layers - 1 ? Math.min(lastJ, this.J) : this.J;
      for (let j = 0; j < J; j++) {
        const { pi, g } = this.eStep(r2, lam, phi, tau);
        const rho = this.rho(t, j);
        const piSum = tf.add(colSum(pi as tf.Tensor2D), 1e-12);
        const lamNew = tf.clipByValue(colMean(pi as tf.Tensor2D), 1e-4, 1 - 1e-4);
        const phiNew = tf.div(
          colSum(tf.mul(pi, tf.add(tf.div(tf.mul(tf.square(g), r2), r), tf.mul(g, tau))) as tf.Tensor2D),
          piSum,
        );
        lam = tf.add(tf.mul(rho, lamNew), tf.mul(tf.sub(1, rho), lam));
        phi = tf.maximum(tf.add(tf.mul(rho, phiNew), tf.mul(tf.sub(1, rho), phi)), 1e-6);
        if (this.tauUpdate === 'em') {
          const oneMinusG = tf.sub(1, g);
          const active = tf.mul(pi, tf.add(tf.mul(tf.square(oneMinusG), r2), tf.mul(tf.mul(g, tau), r)));
          const inactive = tf.mul(tf.sub(1, pi), r2);
          const tauNew = tf.div(colMean(tf.add(active, inactive) as tf.Tensor2D), r);
          tau = tf.maximum(tf.add(tf.mul(rho, tauNew), tf.mul(tf.sub(1, rho), tau)), 1e-9);
        }
      }
      const { pi, g, v } = this.eStep(r2, lam, phi, tau);
      let Xt = scaleGroups(R, tf.mul(pi, g) as tf.Tensor2D);
      let bNew = tf.div(tf.mul(N / L, colMean(v as tf.Tensor2D)), tau) as tf.Tensor1D;
      if (lv.delta) {
        // outer damping, as in damped AMP: X^t = (1 − d)·X̂ + d·X^{t−1}, Onsager coefficient blended the same way
        const d = tf.sigmoid(lv.delta);
        const keep = tf.sub(1, d);
        Xt = (X ? tf.add(tf.mul(keep, Xt), tf.mul(d, X)) : tf.mul(keep, Xt)) as tf.Tensor3D;
        bNew = (b ? tf.add(tf.mul(keep, bNew), tf.mul(d, b)) : tf.mul(keep, bNew)) as tf.Tensor1D;
      }
      b = bNew;
      VPrev = V;
      X = Xt;
      Xs.push(Xt);
      pis.push(pi as tf.Tensor2D);
    }
    return { X: Xs, pi: pis };
  }

  /** Bernoulli–Gaussian row posterior on [N, B] row norms with per-realisation λ, φ, τ [B]. */
  private eStep(r2: tf.Tensor, lam: tf.Tensor, phi: tf.Tensor, tau: tf.Tensor) {
    const r = this.r;
    const phiTau = tf.add(phi, tau);
    const logOdds = tf.sub(
      tf.add(tf.log(tf.div(tf.sub(1, lam), lam)), tf.mul(r, tf.log(tf.div(phiTau, tau)))),
      tf.mul(r2, tf.sub(tf.reciprocal(tau), tf.reciprocal(phiTau))),
    );
    const pi = tf.sigmoid(tf.neg(logOdds));
    const g = tf.div(phi, phiTau);
    const v = tf.add(
      tf.mul(tf.mul(pi, g), tau),
      tf.div(tf.mul(tf.mul(pi, tf.sub(1, pi)), tf.mul(tf.square(g), r2)), r),
    );
    return { pi, g, v };
  }

  /** `Module.apply`: the last layer's X^T [2N, B, r] for Y_r [2L, B, r]. */
  apply(x: tf.Tensor, _opts?: ApplyOptions): tf.Tensor {
    const out = this.run(x as tf.Tensor3D);
    return out.X[out.X.length - 1];
  }

  /** JSON configuration (without S, which is saved with the weights). */
  getConfig(): Record<string, unknown> {
    return {
      className: 'FeatureAidedJadceNet',
      N: this.N,
      L: this.L,
      r: this.r,
      T: this.T,
      J: this.J,
      learnB: this.learnB,
      damping: this.damping,
      tauUpdate: this.tauUpdate,
      prior: this.prior,
      rho0: this.rho0,
      outerDamping: this.outerDamping,
    };
  }

  /** Current learned values for reporting: Θ₀ and ρ per layer (read with `dataSync()`; not used by training). */
  describe(): { lambda0: number; phi0: number; rho: number[][] } {
    return tf.tidy(() => ({
      lambda0: tf.sigmoid(this.lambda0).dataSync()[0],
      phi0: tf.softplus(this.phi0).dataSync()[0] + 1e-6,
      rho: Array.from({ length: this.T }, (_, t) =>
        Array.from({ length: this.J }, (_, j) => this.rho(t, j).dataSync()[0]),
      ),
    }));
  }

  /**
   * Weights as NumPy arrays (float32), keyed by variable name, plus `S_re`/`S_im`. Reads with `dataSync()`; on a GPU
   * backend (no synchronous readback) use {@link weightsAsync}.
   */
  weights(): Record<string, NpyArray> {
    return this.weightArrays(this.trainableVariables.map((v) => v.dataSync() as Float32Array));
  }

  /** {@link weights} with asynchronous reads (any backend, GPU included); the same arrays. */
  async weightsAsync(): Promise<Record<string, NpyArray>> {
    const data: Float32Array[] = [];
    for (const v of this.trainableVariables) data.push((await v.data()) as Float32Array);
    return this.weightArrays(data);
  }

  private weightArrays(data: Float32Array[]): Record<string, NpyArray> {
    const out: Record<string, NpyArray> = {
      S_re: npyArray('float64', [this.L, this.N], this.S.re),
      S_im: npyArray('float64', [this.L, this.N], this.S.im),
    };
    this.trainableVariables.forEach((v, i) => {
      out[this.shortNames.get(v)!] = npyArray('float32', v.shape, data[i]);
    });
    return out;
  }

  /** Loads weights saved by `weights()` (shapes must match). */
  setWeights(w: Record<string, NpyArray>): void {
    for (const v of this.trainableVariables) {
      const name = this.shortNames.get(v)!;
      const a = w[name];
      if (!a) throw new ShapeError(`FeatureAidedJadceNet.setWeights: missing weight '${name}'`);
      if (a.shape.join() !== v.shape.join()) {
        throw new ShapeError(
          `FeatureAidedJadceNet.setWeights: '${name}' has shape (${a.shape}), expected (${v.shape})`,
        );
      }
      v.assign(tf.tensor(Float32Array.from(a.data as Float32Array, Number), v.shape));
    }
  }

  /** Analytic real FLOPs per outer layer and realisation: two realified products (8LNr each) + O(N·r·J) elementwise. */
  flopsPerLayer(): number {
    return 16 * this.L * this.N * this.r + 12 * this.N * this.r + 30 * this.N * (this.J + 1);
  }

  /** Frees every variable and constant. */
  dispose(): void {
    this.Sr.dispose();
    this.SHr.dispose();
    for (const v of [this.lambda0, this.phi0, this.sharedRho]) v?.dispose();
    for (const lv of this.layers) for (const v of [lv.Bre, lv.Bim, lv.rho, lv.lambda, lv.phi, lv.delta]) v?.dispose();
  }
}
