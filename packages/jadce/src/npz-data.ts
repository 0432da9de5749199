/**
 * JADCE data sets as NumPy `.npz` files, so users can bring measured data and cross-check results in NumPy.
 *
 * Keys and shapes (count realisations, L pilot length, N devices, M antennas):
 *
 * | key      | shape           | dtype                                   | required |
 * |----------|-----------------|-----------------------------------------|----------|
 * | `S`      | [L, N]          | complex (shared pilots)                 | yes      |
 * | `Y`      | [count, L, M]   | complex (received pilots; [L, M] = one) | yes      |
 * | `X`      | [count, N, M]   | complex (ground truth)                  | no       |
 * | `active` | [count, N]      | bool or uint8 (any integer 0/1)         | no       |
 * | `sigma2` | scalar/[count]  | float (noise variance)                  | yes      |
 * | `eps`    | scalar          | float (activity probability)            | no       |
 * | `beta`   | [N]             | float (large-scale fading)              | no       |
 *
 * Complex arrays are complex64/complex128, or a pair of real arrays `<key>_re` / `<key>_im`. Reading and writing go
 * through core's NPY implementation (`readNpz`, `writeNpz`).
 */
import {
  DatasetFormatError,
  DTypeError,
  InvalidArgumentError,
  type NpyArray,
  npyArray,
  npyComplex,
  npyComplexParts,
  npyToFloat64,
  readNpz,
  ShapeError,
  writeNpz,
} from '@ft/core';
import { indexOfNonFinite } from '@ft/core/internal';
import type { CArray } from './host-complex.js';
import type { JadceData } from './simulate.js';

const FLOAT = new Set(['float16', 'float32', 'float64']);
const COMPLEX = new Set(['complex64', 'complex128']);
const INT = new Set(['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

function complexEntry(
  arrays: Record<string, NpyArray>,
  key: string,
  file: string,
  required: boolean,
): CArray | undefined {
  const whole = arrays[key];
  const re = arrays[`${key}_re`];
  const im = arrays[`${key}_im`];
  if (whole) {
    if (!COMPLEX.has(whole.dtype) && !FLOAT.has(whole.dtype)) {
      throw new DTypeError(`${file}: '${key}' has dtype ${whole.dtype}; expected complex64/complex128 (or float)`, {
        file,
        key,
      });
    }
    const parts = npyComplexParts(whole);
    return { shape: whole.shape, ...parts };
  }
  if (re || im) {
    if (!re || !im) {
      throw new DatasetFormatError(
        `${file}: '${key}_${re ? 'im' : 're'}' is missing (found only '${key}_${re ? 're' : 'im'}')`,
        {
          file,
          key,
        },
      );
    }
    for (const [k, a] of [
      [`${key}_re`, re],
      [`${key}_im`, im],
    ] as const) {
      if (!FLOAT.has(a.dtype))
        throw new DTypeError(`${file}: '${k}' has dtype ${a.dtype}; expected a float array`, { file, key: k });
    }
    if (re.shape.join() !== im.shape.join()) {
      throw new ShapeError(`${file}: '${key}_re' is (${re.shape}) but '${key}_im' is (${im.shape})`, { file, key });
    }
    return { shape: re.shape, re: Float64Array.from(npyToFloat64(re)), im: Float64Array.from(npyToFloat64(im)) };
  }
  if (required) {
    throw new DatasetFormatError(
      `${file}: missing key '${key}' (give '${key}' as complex64/complex128 or '${key}_re' + '${key}_im')`,
      { file, key },
    );
  }
  return undefined;
}

function checkFinite(values: Float64Array, file: string, key: string): void {
  const i = indexOfNonFinite(values);
  if (i >= 0) {
    throw new InvalidArgumentError(`${file}: '${key}' has a non-finite value (${values[i]}) at flat index ${i}`, {
      file,
      key,
      index: i,
    });
  }
}

/**
 * Builds a validated `JadceData` from decoded `.npz` arrays (see the key table in the file header).
 * @param arrays arrays by key (from `readNpz` / `parseNpz`)
 * @param opts.file name used in error messages
 * @throws DatasetFormatError for a missing key; ShapeError when S, Y, X, active, sigma2 or beta disagree on L, N,
 *   M or count; DTypeError for an unsupported dtype; InvalidArgumentError for NaN/Inf values.
 */
export function jadceDataFromArrays(arrays: Record<string, NpyArray>, opts: { file?: string } = {}): JadceData {
  const file = opts.file ?? '<npz>';
  const S = complexEntry(arrays, 'S', file, true)!;
  let Y = complexEntry(arrays, 'Y', file, true)!;
  const X = complexEntry(arrays, 'X', file, false);
  if (S.shape.length !== 2) throw new ShapeError(`${file}: 'S' must be [L, N], got (${S.shape})`, { file, key: 'S' });
  const [L, N] = S.shape;
  if (Y.shape.length === 2) Y = { ...Y, shape: [1, ...Y.shape] };
  if (Y.shape.length !== 3)
    throw new ShapeError(`${file}: 'Y' must be [count, L, M], got (${Y.shape})`, { file, key: 'Y' });
  const [count, LY, M] = Y.shape;
  if (LY !== L) {
    throw new ShapeError(
      `${file}: 'S' is [L=${L}, N=${N}] but 'Y' is [count=${count}, L=${LY}, M=${M}]: pilot lengths differ`,
      {
        file,
        key: 'Y',
      },
    );
  }
  if (count === 0) throw new ShapeError(`${file}: 'Y' has no realisations`, { file, key: 'Y' });
  checkFinite(S.re, file, 'S');
  checkFinite(S.im, file, 'S');
  checkFinite(Y.re, file, 'Y');
  checkFinite(Y.im, file, 'Y');
  let Xc: CArray | undefined;
  if (X) {
    Xc = X.shape.length === 2 ? { ...X, shape: [1, ...X.shape] } : X;
    if (Xc.shape.join() !== [count, N, M].join()) {
      throw new ShapeError(`${file}: 'X' must be [count=${count}, N=${N}, M=${M}], got (${X.shape})`, {
        file,
        key: 'X',
      });
    }
    checkFinite(Xc.re, file, 'X');
    checkFinite(Xc.im, file, 'X');
  }
  let active: Uint8Array | undefined;
  const act = arrays.active;
  if (act) {
    if (!INT.has(act.dtype))
      throw new DTypeError(`${file}: 'active' has dtype ${act.dtype}; expected bool or uint8`, { file });
    const shape = act.shape.length === 1 ? [1, ...act.shape] : act.shape;
    if (shape.join() !== [count, N].join()) {
      throw new ShapeError(`${file}: 'active' must be [count=${count}, N=${N}], got (${act.shape})`, {
        file,
        key: 'active',
      });
    }
    active = new Uint8Array(count * N);
    for (let i = 0; i < active.length; i++) {
      const v = Number(act.data[i]);
      if (v !== 0 && v !== 1)
        throw new InvalidArgumentError(`${file}: 'active' must be 0/1, got ${v} at ${i}`, { file });
      active[i] = v;
    }
  }
  const s2 = arrays.sigma2;
  if (!s2)
    throw new DatasetFormatError(`${file}: missing key 'sigma2' (noise variance, scalar or [count])`, {
      file,
      key: 'sigma2',
    });
  if (!FLOAT.has(s2.dtype)) throw new DTypeError(`${file}: 'sigma2' has dtype ${s2.dtype}; expected float`, { file });
  const s2v = npyToFloat64(s2);
  let sigma2: Float64Array;
  if (s2v.length === 1) sigma2 = new Float64Array(count).fill(s2v[0]);
  else if (s2v.length === count) sigma2 = Float64Array.from(s2v);
  else
    throw new ShapeError(`${file}: 'sigma2' must be a scalar or [count=${count}], got (${s2.shape})`, {
      file,
      key: 'sigma2',
    });
  checkFinite(sigma2, file, 'sigma2');
  if (sigma2.some((v) => v < 0)) throw new InvalidArgumentError(`${file}: 'sigma2' must be ≥ 0`, { file });
  let eps: number | undefined;
  if (arrays.eps) {
    const e = npyToFloat64(arrays.eps);
    if (e.length !== 1 || !(e[0] > 0 && e[0] <= 1)) {
      throw new InvalidArgumentError(`${file}: 'eps' must be a scalar in (0, 1], got [${Array.from(e)}]`, { file });
    }
    eps = e[0];
  }
  let beta: Float64Array | undefined;
  if (arrays.beta) {
    if (!FLOAT.has(arrays.beta.dtype))
      throw new DTypeError(`${file}: 'beta' has dtype ${arrays.beta.dtype}; expected float`, { file });
    beta = Float64Array.from(npyToFloat64(arrays.beta));
    if (beta.length !== N)
      throw new ShapeError(`${file}: 'beta' must be [N=${N}], got (${arrays.beta.shape})`, { file, key: 'beta' });
    checkFinite(beta, file, 'beta');
    if (beta.some((v) => v <= 0)) throw new InvalidArgumentError(`${file}: 'beta' must be > 0`, { file });
  }
  return { S: { rows: L, cols: N, re: S.re, im: S.im }, Y, X: Xc, active, sigma2, eps, beta };
}

/**
 * Reads a JADCE `.npz` file (numpy `savez`/`savez_compressed` or `saveJadceNpz`) and validates it.
 * @throws DatasetNotFoundError when the file is absent, plus the errors of `jadceDataFromArrays`.
 */
export function loadJadceNpz(path: string): JadceData {
  return jadceDataFromArrays(readNpz(path), { file: path });
}

/** Options of `jadceDataToArrays` / `saveJadceNpz`. */
export interface SaveJadceOptions {
  /** How complex arrays are stored: `'complex128'` (default), `'complex64'`, or `'pairs'` (`<key>_re`/`<key>_im`). */
  complex?: 'complex128' | 'complex64' | 'pairs';
  /** Deflate members like `numpy.savez_compressed` (default false). */
  compressed?: boolean;
}

/** The `.npz` arrays of a data set (see the key table). `active` is written as bool, `sigma2` as [count]. */
export function jadceDataToArrays(d: JadceData, opts: SaveJadceOptions = {}): Record<string, NpyArray> {
  const mode = opts.complex ?? 'complex128';
  const out: Record<string, NpyArray> = {};
  const put = (key: string, a: CArray) => {
    if (mode === 'pairs') {
      out[`${key}_re`] = npyArray('float64', a.shape, a.re);
      out[`${key}_im`] = npyArray('float64', a.shape, a.im);
    } else {
      const c = npyComplex(a.shape, a.re, a.im);
      out[key] =
        mode === 'complex64' ? { ...c, dtype: 'complex64', data: Float32Array.from(c.data as Float64Array) } : c;
    }
  };
  const count = d.Y.shape[0];
  put('S', { shape: [d.S.rows, d.S.cols], re: d.S.re, im: d.S.im });
  put('Y', d.Y);
  if (d.X) put('X', d.X);
  if (d.active) out.active = npyArray('bool', [count, d.S.cols], d.active);
  out.sigma2 = npyArray('float64', [count], d.sigma2);
  if (d.eps !== undefined) out.eps = npyArray('float64', [], [d.eps]);
  if (d.beta) out.beta = npyArray('float64', [d.beta.length], d.beta);
  return out;
}

/** Writes a data set as `.npz` (readable by `numpy.load`; see the key table). */
export function saveJadceNpz(path: string, d: JadceData, opts: SaveJadceOptions = {}): void {
  writeNpz(path, jadceDataToArrays(d, opts), { compressed: opts.compressed });
}
