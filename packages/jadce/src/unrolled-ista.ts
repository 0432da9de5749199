/**
 * Unrolled ISTA baselines for JADCE, one class with the published variants as factories:
 *
 * - LISTA (K. Gregor, Y. LeCun, ICML 2010): X^{k+1} = η_{θ_k}(W1_k Y + W2_k X^k).
 * - LISTA-CP (X. Chen, J. Liu, Z. Wang, W. Yin, "Theoretical linear convergence of unfolded ISTA and its practical
 *   weights and thresholds", NeurIPS 2018): X^{k+1} = η_{θ_k}(X^k + W_k(Y − S X^k)).
 * - Support selection (SS, same paper): the p_k % entries (rows for the group variants) of largest magnitude bypass
 *   the threshold, p_k = min(k·pStep, pMax) (defaults 1.2 %, 13 % as in the reference code).
 * - ALISTA (J. Liu, X. Chen, Z. Wang, W. Yin, ICLR 2019): W fixed analytically (`analyticWeight`), only γ_k, θ_k learned:
 *   X^{k+1} = η_{θ_k}(X^k − γ_k Wᴴ(S X^k − Y)), γ_k initialised at 1/‖WᴴS‖₂.
 * - -GS variants (Y. Shi, H. Choi, Y. Shi, Y. Zhou, "Algorithm unrolling for massive access via deep neural network
 *   with theoretical guarantee", arXiv 2106.10426): the same with the row-group soft threshold on the real-stacked form,
 *   η_θ(x_n) = max(0, 1 − θ·√c/‖x_n‖)·x_n over device n's 2c real entries (c columns) — `listaGs` (coupled, with SS)
 *   and `alistaGs` (analytic, with SS). [I] The √c factor makes θ independent of the number of columns, so one
 *   network serves M = 8 and M = 32; support selection is on by default for the GS variants, following the
 *   LISTA-CPSS / ALISTA constructions their guarantees build on.
 *
 * Complex weights act through `realify` (complex-tensor.ts); inputs use the network layout of `net-layout.ts`. Trained layer-wise on
 * NMSE with `trainLayerwise` (T = 10 by default). Detection: ‖x̂_n‖²/(c·β_n) ≥ threshold (energy score).
 */

import { InvalidArgumentError, ShapeError } from '@ft/core';
import { withoutGradient } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';
import { realify } from './complex-tensor.js';
import { pilotLipschitz } from './group-lasso.js';
import { type CMat, chermSolve, cmat, cmatmulAH, cmatmulBH, cspectralNorm2 } from './host-complex.js';
import { applyRealified, groupNorms2, scaleGroups } from './net-layout.js';

/** Options of `UnrolledIsta`. */
export interface UnrolledIstaOptions {
  /** Fixed pilots S [L, N]. */
  S: CMat;
  /** `'lista'` (untied W1, W2), `'lista-cp'` (coupled W) or `'alista'` (analytic W). */
  variant: 'lista' | 'lista-cp' | 'alista';
  /** Row-group threshold (the -GS variants) instead of the element-wise one. */
  group?: boolean;
  /** Support selection schedule, or false (default false). */
  supportSelection?: false | { pStep?: number; pMax?: number };
  /** Layers T (default 10). */
  T?: number;
  /** Initial threshold θ (default 0.05). */
  theta0?: number;
}

let instances = 0;

/**
 * 0/1 mask over a [rows, B] or [rows, B, c] tensor: per realisation b, the entries (row, b, col) whose value is among
 * the largest `pct` % of that realisation's rows·c values (ties at the cutoff included) are 1. Pure tensor ops (top-k
 * per realisation, no host read, so it runs on GPU backends inside `variableGrads`) and a constant for autodiff (its
 * gradient is zero).
 */
function topFractionMask(values: tf.Tensor, pct: number): tf.Tensor {
  return withoutGradient(values, (x) => {
    const [rows, B] = x.shape;
    const c = x.rank === 3 ? (x.shape[2] as number) : 1;
    const k = Math.max(1, Math.round((pct / 100) * rows * c));
    const x3 = tf.reshape(x, [rows, B, c]);
    const perSample = tf.reshape(tf.transpose(x3, [1, 0, 2]), [B, rows * c]);
    const cutoff = tf.slice(tf.topk(perSample, k, true).values, [0, k - 1], [B, 1]); // k-th largest per realisation
    const mask = tf.cast(tf.greaterEqual(x3, tf.reshape(cutoff, [1, B, 1])), 'float32');
    return tf.reshape(mask, x.shape);
  });
}

/**
 * Analytic ALISTA weight W ∈ C^{L×N}: argmin ‖WᴴS‖_F s.t. diag(WᴴS) = 1, column-wise w_n = (SSᴴ)⁻¹s_n / (s_nᴴ(SSᴴ)⁻¹s_n)
 * (the closed form of the per-column problem min ‖Sᴴw‖² s.t. s_nᴴw = 1; needs SSᴴ invertible, i.e. L ≤ N and full rank).
 */
export function analyticWeight(S: CMat): CMat {
  const L = S.rows;
  const N = S.cols;
  if (L > N) throw new InvalidArgumentError(`analyticWeight needs L ≤ N (SSᴴ invertible), got L=${L} > N=${N}`);
  const Z = chermSolve(cmatmulBH(S, S), S); // (SSᴴ)⁻¹ S, L × N
  const W = cmat(L, N);
  for (let n = 0; n < N; n++) {
    // d = s_nᴴ z_n (real and positive for Hermitian PD SSᴴ)
    let dr = 0;
    let di = 0;
    for (let l = 0; l < L; l++) {
      const sr = S.re[l * N + n];
      const si = S.im[l * N + n];
      const zr = Z.re[l * N + n];
      const zi = Z.im[l * N + n];
      dr += sr * zr + si * zi;
      di += sr * zi - si * zr;
    }
    const d2 = dr * dr + di * di;
    for (let l = 0; l < L; l++) {
      const zr = Z.re[l * N + n];
      const zi = Z.im[l * N + n];
      // z / d
      W.re[l * N + n] = (zr * dr + zi * di) / d2;
      W.im[l * N + n] = (zi * dr - zr * di) / d2;
    }
  }
  return W;
}

/** LISTA / LISTA-CP / ALISTA with element-wise or group thresholds and optional support selection (file header). */
export class UnrolledIsta {
  readonly T: number;
  readonly J = 0;
  readonly N: number;
  readonly L: number;
  readonly variant: 'lista' | 'lista-cp' | 'alista';
  readonly group: boolean;
  readonly supportSelection: false | { pStep: number; pMax: number };
  readonly S: CMat;
  private readonly Sr: tf.Tensor2D;
  private readonly WHr?: tf.Tensor2D;
  private readonly layers: tf.Variable[][] = [];
  private readonly shortNames = new Map<tf.Variable, string>();
  private readonly theta0: number;

  constructor(o: UnrolledIstaOptions) {
    this.S = o.S;
    this.L = o.S.rows;
    this.N = o.S.cols;
    this.T = o.T ?? 10;
    this.variant = o.variant;
    this.group = o.group ?? false;
    this.theta0 = o.theta0 ?? 0.05;
    this.supportSelection = o.supportSelection
      ? { pStep: o.supportSelection.pStep ?? 1.2, pMax: o.supportSelection.pMax ?? 13 }
      : false;
    if (!['lista', 'lista-cp', 'alista'].includes(this.variant)) {
      throw new InvalidArgumentError(`UnrolledIsta: unknown variant '${this.variant}'`);
    }
    if (!(Number.isInteger(this.T) && this.T >= 1))
      throw new InvalidArgumentError(`UnrolledIsta: invalid T = ${this.T}`);
    const { L, N } = this;
    const sre = tf.tensor2d(Float32Array.from(o.S.re), [L, N]);
    const sim = tf.tensor2d(Float32Array.from(o.S.im), [L, N]);
    this.Sr = tf.keep(realify({ re: sre, im: sim }));
    const Lc = pilotLipschitz(o.S);
    const prefix = `UnrolledIsta${instances++}/`;
    const variable = (init: tf.Tensor, name: string) => {
      const v = tf.variable(init, true, prefix + name);
      init.dispose(); // the variable holds its own reference to the data
      this.shortNames.set(v, name);
      return v;
    };
    let gamma0 = 1;
    if (this.variant === 'alista') {
      const W = analyticWeight(o.S);
      // γ₀ = 1/‖WᴴS‖₂ keeps the untrained iteration contractive (γ = 1 diverges when N ≫ L)
      gamma0 = 1 / Math.sqrt(cspectralNorm2(cmatmulAH(W, o.S), 300));
      // realify(Wᴴ) = realify(W)ᵀ
      this.WHr = tf.keep(
        tf.tidy(() =>
          tf.transpose(
            realify({
              re: tf.tensor2d(Float32Array.from(W.re), [L, N]),
              im: tf.tensor2d(Float32Array.from(W.im), [L, N]),
            }),
          ),
        ) as tf.Tensor2D,
      );
    }
    for (let t = 0; t < this.T; t++) {
      const vars: tf.Variable[] = [];
      vars.push(variable(tf.scalar(this.theta0), `theta${t}`));
      if (this.variant === 'alista') vars.push(variable(tf.scalar(gamma0), `gamma${t}`));
      else {
        // W = Sᴴ/Lc: Re = Re(S)ᵀ/Lc, Im = −Im(S)ᵀ/Lc
        vars.push(
          variable(
            tf.tidy(() => tf.div(tf.transpose(sre), Lc)),
            `W${t}_re`,
          ),
        );
        vars.push(
          variable(
            tf.tidy(() => tf.div(tf.neg(tf.transpose(sim)), Lc)),
            `W${t}_im`,
          ),
        );
        if (this.variant === 'lista') {
          // W2 = I − SᴴS/Lc (complex N × N)
          const g = tf.tidy(() => {
            const SH = { re: tf.transpose(sre), im: tf.neg(tf.transpose(sim)) };
            const re = tf.sub(tf.matMul(SH.re, sre), tf.matMul(SH.im, sim));
            const im = tf.add(tf.matMul(SH.re, sim), tf.matMul(SH.im, sre));
            return { re: tf.sub(tf.eye(N), tf.div(re, Lc)), im: tf.neg(tf.div(im, Lc)) };
          });
          vars.push(variable(g.re, `W2_${t}_re`));
          vars.push(variable(g.im, `W2_${t}_im`));
          tf.dispose([g.re, g.im]);
        }
      }
      this.layers.push(vars);
    }
    sre.dispose();
    sim.dispose();
  }

  /** Variables of layer `t` (0-based). */
  layerVariables(t: number): tf.Variable[] {
    return this.layers[t];
  }

  /** Every trainable variable. */
  get trainableVariables(): tf.Variable[] {
    return this.layers.flat();
  }

  /** Layer outputs X^1..X^layers for Y in the network layout [2L, B, c]. Call inside `tf.tidy` / `variableGrads`. */
  run(Y: tf.Tensor3D, o: { layers?: number } = {}): { X: tf.Tensor3D[] } {
    const layers = o.layers ?? this.T;
    const [L2, , c] = Y.shape;
    if (L2 !== 2 * this.L)
      throw new ShapeError(`UnrolledIsta: expected input [2L=${2 * this.L}, B, c], got [${Y.shape}]`);
    const out: tf.Tensor3D[] = [];
    let X: tf.Tensor3D | null = null;
    for (let t = 0; t < layers; t++) {
      const v = this.layers[t];
      const theta = v[0];
      let Z: tf.Tensor3D;
      if (this.variant === 'alista') {
        const resid: tf.Tensor3D = X ? tf.sub(applyRealified(this.Sr, X), Y) : tf.neg(Y);
        const step = tf.mul(v[1], applyRealified(this.WHr!, resid)) as tf.Tensor3D;
        Z = X ? tf.sub(X, step) : tf.neg(step);
      } else if (this.variant === 'lista-cp') {
        const W = realify({ re: v[1], im: v[2] });
        const resid: tf.Tensor3D = X ? tf.sub(Y, applyRealified(this.Sr, X)) : Y;
        const upd = applyRealified(W, resid);
        Z = X ? tf.add(X, upd) : upd;
      } else {
        const W1 = realify({ re: v[1], im: v[2] });
        const W2 = realify({ re: v[3], im: v[4] });
        const a = applyRealified(W1, Y);
        Z = X ? tf.add(a, applyRealified(W2, X)) : a;
      }
      X = this.shrink(Z, theta, t, c);
      out.push(X);
    }
    return { X: out };
  }

  /** Soft threshold (group or element-wise) with optional support selection at layer t. */
  private shrink(Z: tf.Tensor3D, theta: tf.Variable, t: number, c: number): tf.Tensor3D {
    const pct = this.supportSelection ? Math.min((t + 1) * this.supportSelection.pStep, this.supportSelection.pMax) : 0;
    if (this.group) {
      const norms = tf.sqrt(tf.add(groupNorms2(Z), 1e-12)); // [N, B]
      let factor = tf.relu(tf.sub(1, tf.div(tf.mul(theta, Math.sqrt(c)), norms))) as tf.Tensor2D;
      if (pct > 0) {
        // the selection mask is a constant for autodiff, computed from the current norms
        const keep = topFractionMask(norms, pct);
        factor = tf.add(keep, tf.mul(tf.sub(1, keep), factor)) as tf.Tensor2D;
      }
      return scaleGroups(Z, factor);
    }
    const shrunk = tf.sub(tf.relu(tf.sub(Z, theta)), tf.relu(tf.sub(tf.neg(Z), theta))) as tf.Tensor3D;
    if (pct <= 0) return shrunk;
    // element-wise support selection on complex-entry magnitudes |z|² = Re² + Im² (a constant for autodiff)
    const [re, im] = tf.split(Z, 2, 0);
    const m = topFractionMask(tf.add(tf.square(re), tf.square(im)), pct);
    const keep = tf.concat([m, m], 0);
    return tf.add(tf.mul(keep, Z), tf.mul(tf.sub(1, keep), shrunk)) as tf.Tensor3D;
  }

  /** Analytic real FLOPs per layer and realisation with c columns (realified products, thresholding). */
  flopsPerLayer(c: number): number {
    const prod = 8 * this.L * this.N * c;
    if (this.variant === 'lista') return 8 * this.L * this.N * c + 8 * this.N * this.N * c + 8 * this.N * c;
    return 2 * prod + 8 * this.N * c;
  }

  /** JSON configuration. */
  getConfig(): Record<string, unknown> {
    return {
      className: 'UnrolledIsta',
      variant: this.variant,
      group: this.group,
      supportSelection: this.supportSelection,
      T: this.T,
      N: this.N,
      L: this.L,
      theta0: this.theta0,
    };
  }

  /**
   * Weights keyed by short variable name (float32), for `.npz` checkpoints. Reads with `dataSync()`; on a GPU backend
   * (no synchronous readback) use {@link weightsAsync}.
   */
  weights(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const v of this.trainableVariables)
      out[this.shortNames.get(v)!] = { shape: v.shape, data: v.dataSync() as Float32Array };
    return out;
  }

  /** {@link weights} with asynchronous reads (any backend, GPU included); the same arrays. */
  async weightsAsync(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const v of this.trainableVariables)
      out[this.shortNames.get(v)!] = { shape: v.shape, data: (await v.data()) as Float32Array };
    return out;
  }

  /** Loads weights saved by `weights()`. */
  setWeights(w: Record<string, { shape: number[]; data: ArrayLike<number> }>): void {
    for (const v of this.trainableVariables) {
      const name = this.shortNames.get(v)!;
      const a = w[name];
      if (!a || a.shape.join() !== v.shape.join())
        throw new ShapeError(`UnrolledIsta.setWeights: weight '${name}' missing or of the wrong shape`);
      v.assign(tf.tensor(Float32Array.from(a.data), v.shape));
    }
  }

  /** Frees the variables and constants. */
  dispose(): void {
    this.Sr.dispose();
    this.WHr?.dispose();
    for (const v of this.trainableVariables) v.dispose();
  }
}

/** Common options of the factories. */
export type UnrolledIstaFactoryOptions = Omit<UnrolledIstaOptions, 'variant' | 'group'>;

/** LISTA (untied W1, W2; element-wise threshold). */
export const lista = (o: UnrolledIstaFactoryOptions) => new UnrolledIsta({ ...o, variant: 'lista', group: false });
/** LISTA-CP (coupled W; element-wise threshold). */
export const listaCp = (o: UnrolledIstaFactoryOptions) => new UnrolledIsta({ ...o, variant: 'lista-cp', group: false });
/** LISTA-CP with support selection. */
export const listaCpSs = (o: UnrolledIstaFactoryOptions) =>
  new UnrolledIsta({ supportSelection: {}, ...o, variant: 'lista-cp', group: false });
/** ALISTA (analytic W; element-wise threshold with support selection). */
export const alista = (o: UnrolledIstaFactoryOptions) =>
  new UnrolledIsta({ supportSelection: {}, ...o, variant: 'alista', group: false });
/** LISTA-GS: coupled W, row-group threshold, support selection. */
export const listaGs = (o: UnrolledIstaFactoryOptions) =>
  new UnrolledIsta({ supportSelection: {}, ...o, variant: 'lista-cp', group: true });
/** ALISTA-GS: analytic W, row-group threshold, support selection. */
export const alistaGs = (o: UnrolledIstaFactoryOptions) =>
  new UnrolledIsta({ supportSelection: {}, ...o, variant: 'alista', group: true });
