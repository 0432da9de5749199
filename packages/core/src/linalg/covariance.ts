/**
 * Streaming mean / covariance in Float64 with the extra moments that Ledoit-Wolf shrinkage needs, so features
 * never have to fit in memory. **Constant for autodiff** (batches are read with `dataSync()`).
 *
 * State, all taken about the running mean μ of the n rows seen so far:
 *   Q = Σ (x−μ)(x−μ)ᵀ   (scatter),   T = Σ ‖x−μ‖²·(x−μ)   (d-vector),   F = Σ ‖x−μ‖⁴   (scalar).
 * Each chunk of rows is centred on its own mean (two-pass inside the chunk) and merged with the exact
 * shift-of-centre identities (Chan, Golub & LeVeque 1979 for Q; extended here to T and F). With δ = μ_new − μ_old:
 *   Q' = Q + n·δδᵀ
 *   T' = T − tr(Q)·δ − 2·Q·δ − n‖δ‖²·δ
 *   F' = F + 4·δᵀQδ + n‖δ‖⁴ − 4·δᵀT + 2‖δ‖²·tr(Q)
 * F about the *final* mean is exactly the Σ‖x_i − μ‖⁴ term of the Ledoit-Wolf β̂ (sklearn `ledoit_wolf_shrinkage`),
 * so Ledoit-Wolf needs a single streaming pass; no second pass over the data is required.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, EmptyDatasetError, InvalidArgumentError, ShapeError } from '../errors.js';
import { isMatrix, type Matrix, type MatrixInput, matrix, toMatrix } from './matrix.js';

/**
 * Rows accepted by `CovarianceAccumulator.update`: a rank-2 `[n, d]` tensor (a rank-1 `[d]` tensor is one row),
 * a `Matrix`, `number[][]`, or a flat row-major `Float32Array` / `Float64Array` / `number[]` whose length is a
 * multiple of d.
 */
export type RowsInput = tf.Tensor | Matrix | number[][] | readonly number[] | Float32Array | Float64Array;

/** Sufficient statistics of a sample, all about its mean (see the module docs). */
export interface CovarianceStats {
  /** Number of rows n. */
  count: number;
  /** Sample mean μ (length d). */
  mean: ArrayLike<number>;
  /** Scatter Σ (x−μ)(x−μ)ᵀ, d × d (not divided by n). */
  scatter: MatrixInput;
  /** Σ ‖x−μ‖⁴ about the same mean; needed by Ledoit-Wolf only. */
  sumNorm4?: number;
}

/** JSON form of a `CovarianceAccumulator` (Float64 values round-trip exactly through JSON numbers). */
export interface CovarianceAccumulatorJSON {
  type: 'CovarianceAccumulator';
  version: 1;
  dim: number;
  count: number;
  mean: number[];
  /** Upper triangle of the scatter Q, packed row by row (d·(d+1)/2 values). */
  scatterUpper: number[];
  /** T = Σ‖x−μ‖²(x−μ). */
  norm2Moment: number[];
  /** F = Σ‖x−μ‖⁴. */
  sumNorm4: number;
}

/** Options of `CovarianceAccumulator`. */
export interface CovarianceAccumulatorOptions {
  /** Rows processed per chunk (each chunk is centred exactly on its own mean); default 256. */
  chunkRows?: number;
}

/**
 * Streaming mean and covariance accumulator in Float64 (chunked two-pass centring + exact pairwise merge, see the
 * module docs), also tracking Σ‖x−μ‖⁴ for Ledoit-Wolf. Results do not depend on how the rows are split into
 * batches (up to rounding). Memory d² Float64s; cost ≈ d²/2 multiply-adds per row. A constant for autodiff.
 *
 * ```ts
 * const acc = new CovarianceAccumulator(512);
 * for await (const feats of batches) acc.update(feats);   // [n, 512] tensors
 * const { covariance, precision } = ledoitWolf(acc);
 * ```
 */
export class CovarianceAccumulator {
  /** Feature dimension d. */
  readonly dim: number;
  private n = 0;
  private readonly mu: Float64Array;
  /** Scatter; only the upper triangle (i ≤ j) is maintained. */
  private readonly q: Float64Array;
  private readonly t: Float64Array;
  private f = 0;
  private readonly chunkRows: number;
  // scratch
  private readonly yt: Float64Array;
  private readonly tmpA: Float64Array;
  private readonly tmpB: Float64Array;
  private readonly rowNorm2: Float64Array;

  /**
   * @param dim feature dimension d (positive integer)
   * @param opts `{chunkRows = 256}`
   */
  constructor(dim: number, opts: CovarianceAccumulatorOptions = {}) {
    if (!Number.isInteger(dim) || dim <= 0) {
      throw new InvalidArgumentError(`CovarianceAccumulator: dim must be a positive integer, got ${dim}`);
    }
    const chunk = opts.chunkRows ?? 256;
    if (!Number.isInteger(chunk) || chunk <= 0) {
      throw new InvalidArgumentError(`CovarianceAccumulator: chunkRows must be a positive integer, got ${chunk}`);
    }
    this.dim = dim;
    this.chunkRows = chunk;
    this.mu = new Float64Array(dim);
    this.q = new Float64Array(dim * dim);
    this.t = new Float64Array(dim);
    this.yt = new Float64Array(dim * chunk);
    this.tmpA = new Float64Array(dim);
    this.tmpB = new Float64Array(dim);
    this.rowNorm2 = new Float64Array(chunk);
  }

  /** Number of rows seen. */
  get count(): number {
    return this.n;
  }

  /**
   * Adds rows. Accepts `[n, d]` tensors (read with `dataSync()`; the caller keeps ownership), `Matrix`,
   * `number[][]` or flat row-major typed arrays whose length is a multiple of d. Throws `ShapeError` on a wrong
   * width and `InvalidArgumentError` on NaN/Inf (which would poison the statistics). Returns `this`.
   */
  update(batch: RowsInput): this {
    const d = this.dim;
    let data: ArrayLike<number>;
    if (batch instanceof tf.Tensor) {
      if (batch.dtype === 'complex64' || batch.dtype === 'string') {
        throw new DTypeError(`CovarianceAccumulator.update: expected a real tensor, got dtype ${batch.dtype}`);
      }
      const last = batch.rank === 0 ? 1 : batch.shape[batch.rank - 1];
      if (batch.rank > 2 || last !== d) {
        throw new ShapeError(`CovarianceAccumulator.update: expected [n, ${d}], got [${batch.shape.join(', ')}]`);
      }
      data = batch.dataSync() as Float32Array;
    } else if (isMatrix(batch)) {
      if (batch.cols !== d) {
        throw new ShapeError(`CovarianceAccumulator.update: expected [n, ${d}], got [${batch.rows}, ${batch.cols}]`);
      }
      data = batch.data;
    } else if (Array.isArray(batch) && batch.length > 0 && Array.isArray(batch[0])) {
      data = toMatrix(batch as number[][], 'CovarianceAccumulator.update(batch)').data;
      if ((batch[0] as number[]).length !== d) {
        throw new ShapeError(
          `CovarianceAccumulator.update: expected rows of length ${d}, got ${(batch[0] as number[]).length}`,
        );
      }
    } else if (batch instanceof Float32Array || batch instanceof Float64Array || Array.isArray(batch)) {
      data = batch as ArrayLike<number>;
      if (data.length % d !== 0) {
        throw new ShapeError(
          `CovarianceAccumulator.update: flat batch of length ${data.length} is not a multiple of dim ${d}`,
        );
      }
    } else {
      throw new InvalidArgumentError(
        'CovarianceAccumulator.update: expected a tensor, Matrix, number[][] or typed array',
      );
    }
    const rows = data.length / d;
    for (let start = 0; start < rows; start += this.chunkRows) {
      this.addChunk(data, start, Math.min(rows, start + this.chunkRows));
    }
    return this;
  }

  /** Centres rows [r0, r1) of `data` on their own mean and merges them into the state. */
  private addChunk(data: ArrayLike<number>, r0: number, r1: number): void {
    const d = this.dim;
    const nb = r1 - r0;
    if (nb <= 0) return;
    const yt = this.yt; // d × nb, column r = row r0 + r
    const mb = this.tmpB;
    mb.fill(0);
    for (let r = 0; r < nb; r++) {
      const o = (r0 + r) * d;
      for (let i = 0; i < d; i++) {
        const v = data[o + i];
        if (!Number.isFinite(v)) {
          throw new InvalidArgumentError(`CovarianceAccumulator.update: row ${r0 + r}, column ${i} is ${v}`);
        }
        mb[i] += v;
      }
    }
    for (let i = 0; i < d; i++) mb[i] /= nb;
    const rn2 = this.rowNorm2;
    rn2.fill(0, 0, nb);
    for (let r = 0; r < nb; r++) {
      const o = (r0 + r) * d;
      let s = 0;
      for (let i = 0; i < d; i++) {
        const y = data[o + i] - mb[i];
        yt[i * nb + r] = y;
        s += y * y;
      }
      rn2[r] = s;
    }
    // Chunk moments about mb: trQb = Σ‖y‖², Tb = Σ‖y‖² y, Fb = Σ‖y‖⁴.
    let trQb = 0;
    let fb = 0;
    for (let r = 0; r < nb; r++) {
      trQb += rn2[r];
      fb += rn2[r] * rn2[r];
    }
    const na = this.n;
    const n = na + nb;
    if (na === 0) {
      this.mu.set(mb);
      const t = this.t;
      for (let i = 0; i < d; i++) {
        let s = 0;
        const oi = i * nb;
        for (let r = 0; r < nb; r++) s += rn2[r] * yt[oi + r];
        t[i] = s;
      }
      this.f = fb;
      this.addGram(yt, nb);
      this.n = n;
      return;
    }
    // Δ = mb − μa; δa = (nb/n)Δ (shift of the running state), δb = −(na/n)Δ (shift of the chunk).
    const delta = this.tmpA;
    for (let i = 0; i < d; i++) delta[i] = mb[i] - this.mu[i];
    const wa = nb / n;
    const wb = -na / n;
    // Shift the running state by δa = wa·Δ (uses the old Q and T).
    const qd = this.symMatVecUpper(delta); // Q_a Δ (fresh array)
    let dQd = 0;
    let dT = 0;
    let dd = 0;
    for (let i = 0; i < d; i++) {
      dQd += delta[i] * qd[i];
      dT += delta[i] * this.t[i];
      dd += delta[i] * delta[i];
    }
    const trQa = this.traceQ();
    const fa = this.f + 4 * wa * wa * dQd + na * wa ** 4 * dd * dd - 4 * wa * dT + 2 * wa * wa * dd * trQa;
    const t = this.t;
    for (let i = 0; i < d; i++) {
      t[i] = t[i] - trQa * wa * delta[i] - 2 * wa * qd[i] - na * wa * wa * dd * wa * delta[i];
    }
    // Shift the chunk by δb = wb·Δ, computing Q_bΔ, ΔᵀT_b directly from the centred rows.
    // Σ_r (yᵀΔ)·y = Q_bΔ ; Σ_r ‖y‖²·y = T_b
    const proj = new Float64Array(nb);
    for (let i = 0; i < d; i++) {
      const di = delta[i];
      if (di === 0) continue;
      const oi = i * nb;
      for (let r = 0; r < nb; r++) proj[r] += yt[oi + r] * di;
    }
    let dQbd = 0;
    for (let r = 0; r < nb; r++) dQbd += proj[r] * proj[r];
    let dTb = 0;
    for (let r = 0; r < nb; r++) dTb += rn2[r] * proj[r];
    const fbShift = fb + 4 * wb * wb * dQbd + nb * wb ** 4 * dd * dd - 4 * wb * dTb + 2 * wb * wb * dd * trQb;
    for (let i = 0; i < d; i++) {
      const oi = i * nb;
      let tb = 0;
      let qbd = 0;
      for (let r = 0; r < nb; r++) {
        const y = yt[oi + r];
        tb += rn2[r] * y;
        qbd += proj[r] * y;
      }
      t[i] += tb - trQb * wb * delta[i] - 2 * wb * qbd - nb * wb * wb * dd * wb * delta[i];
    }
    this.f = fa + fbShift;
    // Q = Q_a + Q_b + (na·nb/n)ΔΔᵀ (upper triangle), μ = μa + (nb/n)Δ.
    this.addGram(yt, nb);
    const c = (na * nb) / n;
    const q = this.q;
    for (let i = 0; i < d; i++) {
      const ci = c * delta[i];
      if (ci === 0) continue;
      const oi = i * d;
      for (let j = i; j < d; j++) q[oi + j] += ci * delta[j];
    }
    for (let i = 0; i < d; i++) this.mu[i] += wa * delta[i];
    this.n = n;
  }

  /** Q(upper) += Yᵀ Y for the centred chunk stored as yt (d × nb): contiguous dot products of length nb. */
  private addGram(yt: Float64Array, nb: number): void {
    const d = this.dim;
    const q = this.q;
    for (let i = 0; i < d; i++) {
      const oi = i * nb;
      const qi = i * d;
      for (let j = i; j < d; j++) {
        const oj = j * nb;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let r = 0;
        for (; r + 3 < nb; r += 4) {
          s0 += yt[oi + r] * yt[oj + r];
          s1 += yt[oi + r + 1] * yt[oj + r + 1];
          s2 += yt[oi + r + 2] * yt[oj + r + 2];
          s3 += yt[oi + r + 3] * yt[oj + r + 3];
        }
        for (; r < nb; r++) s0 += yt[oi + r] * yt[oj + r];
        q[qi + j] += s0 + s1 + s2 + s3;
      }
    }
  }

  private traceQ(): number {
    const d = this.dim;
    let s = 0;
    for (let i = 0; i < d; i++) s += this.q[i * d + i];
    return s;
  }

  /** Q·v using the upper triangle only. */
  private symMatVecUpper(v: Float64Array): Float64Array {
    const d = this.dim;
    const q = this.q;
    const out = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      const oi = i * d;
      let s = q[oi + i] * v[i];
      const vi = v[i];
      for (let j = i + 1; j < d; j++) {
        const qij = q[oi + j];
        s += qij * v[j];
        out[j] += qij * vi;
      }
      out[i] += s;
    }
    return out;
  }

  /**
   * Merges another accumulator of the same dimension into this one (exact pairwise merge, see the module docs);
   * `other` is unchanged. Returns `this`.
   */
  merge(other: CovarianceAccumulator): this {
    if (!(other instanceof CovarianceAccumulator) || other.dim !== this.dim) {
      throw new ShapeError(
        `CovarianceAccumulator.merge: dimensions differ (${this.dim} vs ${(other as CovarianceAccumulator)?.dim})`,
      );
    }
    if (other.n === 0) return this;
    if (this.n === 0) {
      this.n = other.n;
      this.mu.set(other.mu);
      this.q.set(other.q);
      this.t.set(other.t);
      this.f = other.f;
      return this;
    }
    const d = this.dim;
    const na = this.n;
    const nb = other.n;
    const n = na + nb;
    const delta = new Float64Array(d);
    for (let i = 0; i < d; i++) delta[i] = other.mu[i] - this.mu[i];
    const shifted = (acc: CovarianceAccumulator, w: number, cnt: number): { f: number; t: Float64Array } => {
      const qd = acc.symMatVecUpper(delta);
      let dQd = 0;
      let dT = 0;
      let dd = 0;
      for (let i = 0; i < d; i++) {
        dQd += delta[i] * qd[i];
        dT += delta[i] * acc.t[i];
        dd += delta[i] * delta[i];
      }
      const tr = acc.traceQ();
      const f = acc.f + 4 * w * w * dQd + cnt * w ** 4 * dd * dd - 4 * w * dT + 2 * w * w * dd * tr;
      const t = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        t[i] = acc.t[i] - tr * w * delta[i] - 2 * w * qd[i] - cnt * w * w * dd * w * delta[i];
      }
      return { f, t };
    };
    const a = shifted(this, nb / n, na);
    const b = shifted(other, -na / n, nb);
    this.f = a.f + b.f;
    for (let i = 0; i < d; i++) this.t[i] = a.t[i] + b.t[i];
    const c = (na * nb) / n;
    for (let i = 0; i < d; i++) {
      const oi = i * d;
      for (let j = i; j < d; j++) this.q[oi + j] += other.q[oi + j] + c * delta[i] * delta[j];
    }
    for (let i = 0; i < d; i++) this.mu[i] += (nb / n) * delta[i];
    this.n = n;
    return this;
  }

  /** Sample mean μ (a copy). Throws `EmptyDatasetError` before any row. */
  mean(): Float64Array {
    this.requireRows('mean', 1);
    return Float64Array.from(this.mu);
  }

  /** Scatter matrix Σ (x−μ)(x−μ)ᵀ (d × d, symmetric copy, not divided by n). */
  scatter(): Matrix {
    const d = this.dim;
    const out = Float64Array.from(this.q);
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) out[j * d + i] = out[i * d + j];
    return matrix(d, d, out);
  }

  /**
   * Covariance Q / (n − ddof).
   * @param opts.ddof delta degrees of freedom: 1 (default) = unbiased, like `numpy.cov`; 0 = maximum likelihood,
   *   like sklearn's `empirical_covariance`
   */
  covariance(opts: { ddof?: number } = {}): Matrix {
    const ddof = opts.ddof ?? 1;
    this.requireRows('covariance', ddof + 1);
    const s = this.scatter();
    const inv = 1 / (this.n - ddof);
    for (let i = 0; i < s.data.length; i++) s.data[i] *= inv;
    return s;
  }

  /** Σ ‖x_i − μ‖⁴ about the current mean (the fourth-moment term of Ledoit-Wolf's β̂). */
  sumNorm4(): number {
    return this.f;
  }

  /** The sufficient statistics `{count, mean, scatter, sumNorm4}` (copies), as used by `ledoitWolf` / `oas`. */
  stats(): Required<CovarianceStats> & { mean: Float64Array; scatter: Matrix } {
    this.requireRows('stats', 1);
    return { count: this.n, mean: Float64Array.from(this.mu), scatter: this.scatter(), sumNorm4: this.f };
  }

  /** A deep copy. */
  clone(): CovarianceAccumulator {
    return CovarianceAccumulator.fromJSON(this.toJSON(), { chunkRows: this.chunkRows });
  }

  /** JSON form (exact Float64 round trip). */
  toJSON(): CovarianceAccumulatorJSON {
    const d = this.dim;
    const upper: number[] = new Array((d * (d + 1)) / 2);
    let k = 0;
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) upper[k++] = this.q[i * d + j];
    return {
      type: 'CovarianceAccumulator',
      version: 1,
      dim: d,
      count: this.n,
      mean: Array.from(this.mu),
      scatterUpper: upper,
      norm2Moment: Array.from(this.t),
      sumNorm4: this.f,
    };
  }

  /** Restores an accumulator from `toJSON()` output (validated: `InvalidArgumentError` names the bad field). */
  static fromJSON(json: CovarianceAccumulatorJSON, opts: CovarianceAccumulatorOptions = {}): CovarianceAccumulator {
    const bad = (what: string) => new InvalidArgumentError(`CovarianceAccumulator.fromJSON: ${what}`);
    if (json?.type !== 'CovarianceAccumulator' || json.version !== 1) {
      throw bad('not a version-1 CovarianceAccumulator JSON');
    }
    const d = json.dim;
    if (!Number.isInteger(d) || d <= 0) throw bad(`invalid dim ${d}`);
    if (!Number.isInteger(json.count) || json.count < 0) throw bad(`invalid count ${json.count}`);
    const checkArr = (name: string, arr: unknown, len: number) => {
      if (!Array.isArray(arr) || arr.length !== len) throw bad(`${name} must have ${len} numbers`);
      for (const v of arr)
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${name} has a non-finite value`);
    };
    checkArr('mean', json.mean, d);
    checkArr('scatterUpper', json.scatterUpper, (d * (d + 1)) / 2);
    checkArr('norm2Moment', json.norm2Moment, d);
    if (typeof json.sumNorm4 !== 'number' || !Number.isFinite(json.sumNorm4)) throw bad('sumNorm4 must be finite');
    const acc = new CovarianceAccumulator(d, opts);
    acc.n = json.count;
    acc.mu.set(json.mean);
    let k = 0;
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) acc.q[i * d + j] = json.scatterUpper[k++];
    acc.t.set(json.norm2Moment);
    acc.f = json.sumNorm4;
    return acc;
  }

  private requireRows(what: string, min: number): void {
    if (this.n < min) {
      throw new EmptyDatasetError(`CovarianceAccumulator.${what}: needs at least ${min} row(s), has ${this.n}`);
    }
  }
}

/**
 * Σ ‖x_i − μ‖⁴ over the rows of `X` for a given mean μ: the fourth-moment term of Ledoit-Wolf for a **second pass**
 * when the count / mean / scatter came from elsewhere (sum the results over batches and pass it as
 * `CovarianceStats.sumNorm4`). Not needed with `CovarianceAccumulator`, which tracks it in one pass. Float64.
 * @param X n × d rows
 * @param mean length-d mean
 */
export function centeredNorm4Sum(X: MatrixInput, mean: ArrayLike<number>): number {
  const x = toMatrix(X, 'centeredNorm4Sum(X)');
  const d = x.cols;
  if (mean.length !== d) throw new ShapeError(`centeredNorm4Sum: X has ${d} columns but mean has ${mean.length}`);
  let f = 0;
  for (let r = 0; r < x.rows; r++) {
    let s = 0;
    const o = r * d;
    for (let i = 0; i < d; i++) {
      const y = x.data[o + i] - mean[i];
      s += y * y;
    }
    f += s * s;
  }
  return f;
}
