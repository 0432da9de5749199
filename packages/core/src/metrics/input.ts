/**
 * Input normalisation shared by the metrics: every metric accepts plain arrays, typed arrays or tfjs tensors and
 * works on Float64 copies of the host data. Tensors are read with `dataSync()` (not disposed: the caller owns them).
 * Internal module; not exported from the barrel except for the public input types.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors.js';

/** A 1-D numeric input: `number[]`, any typed array, or a tfjs tensor (flattened). */
export type NumericInput = ArrayLike<number> | Tensor;

/** A 1-D label input: numbers, booleans or a tensor. */
export type LabelInput = ArrayLike<number> | ArrayLike<boolean> | Tensor;

/** A 2-D score matrix (rows = samples, columns = classes): nested arrays or a rank-2 tensor. */
export type ScoreMatrixInput = ReadonlyArray<ArrayLike<number>> | Tensor;

/**
 * A batch of 2-D maps (anomaly maps or masks): a tensor of rank 2 `[H, W]`, 3 `[N, H, W]` or 4 `[N, H, W, 1]`;
 * nested arrays `N × H × W`; or flat data with an explicit shape.
 */
export type MapBatchInput =
  | Tensor
  | ReadonlyArray<ReadonlyArray<ArrayLike<number>>>
  | { data: ArrayLike<number>; shape: readonly [number, number, number] };

/** A batch of maps as one flat Float64Array in N·H·W order. */
export interface MapBatch {
  data: Float64Array;
  n: number;
  height: number;
  width: number;
}

/** True when `x` looks like a tfjs tensor (duck-typed, so no runtime import of tfjs is needed). */
export function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { dataSync?: unknown }).dataSync === 'function' &&
    Array.isArray((x as { shape?: unknown }).shape)
  );
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `array of length ${x.length}`;
  return typeof x;
}

/** Copies a 1-D numeric input into a Float64Array (tensors are flattened). */
export function toFloat64(x: NumericInput | LabelInput, name: string): Float64Array {
  if (isTensor(x)) return Float64Array.from(x.dataSync() as ArrayLike<number>);
  if (x === null || typeof x !== 'object' || typeof (x as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError(`${name} must be an array, typed array or tensor, got ${describe(x)}`, {
      parameter: name,
    });
  }
  const arr = x as ArrayLike<number | boolean>;
  const out = new Float64Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (typeof v === 'number') out[i] = v;
    else {
      throw new InvalidArgumentError(`${name}[${i}] must be a number or boolean, got ${describe(v)}`, {
        parameter: name,
        index: i,
      });
    }
  }
  return out;
}

/** Throws `InvalidArgumentError` when `x` is empty. */
export function checkNonEmpty(x: ArrayLike<number>, name: string): void {
  if (x.length === 0) throw new InvalidArgumentError(`${name} is empty`, { parameter: name });
}

/** Throws `ShapeError` unless `a` and `b` have the same length. */
export function checkSameLength(a: ArrayLike<number>, aName: string, b: ArrayLike<number>, bName: string): void {
  if (a.length !== b.length) {
    throw new ShapeError(`${aName} has length ${a.length} but ${bName} has length ${b.length}`, {
      parameters: [aName, bName],
      lengths: [a.length, b.length],
    });
  }
}

/** `checkFinite(x, name)`: throws `InvalidArgumentError` naming the first NaN/±Infinity entry of `x`. */
export { checkFinite } from '../validate.js';

/** Reads binary labels (0/1 or booleans) into a Uint8Array; any other value throws `InvalidArgumentError`. */
export function toBinaryLabels(x: LabelInput, name: string): Uint8Array {
  const f = toFloat64(x, name);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const v = f[i];
    if (v === 1) out[i] = 1;
    else if (v !== 0) {
      throw new InvalidArgumentError(`${name}[${i}] is ${v}; binary labels must be 0 or 1 (or booleans)`, {
        parameter: name,
        index: i,
      });
    }
  }
  return out;
}

/** Reads class labels (non-negative integers) into an Int32Array; anything else throws `InvalidArgumentError`. */
export function toClassLabels(x: NumericInput, name: string): Int32Array {
  const f = toFloat64(x, name);
  const out = new Int32Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const v = f[i];
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`${name}[${i}] is ${v}; class labels must be non-negative integers`, {
        parameter: name,
        index: i,
      });
    }
    out[i] = v;
  }
  return out;
}

/** True when `x` is a 2-D input (rank-2 tensor or an array whose entries are array-likes). */
export function isMatrixInput(x: unknown): x is ScoreMatrixInput {
  if (isTensor(x)) return x.rank === 2;
  if (!Array.isArray(x) || x.length === 0) return false;
  const first = x[0] as unknown;
  return typeof first === 'object' && first !== null && typeof (first as ArrayLike<number>).length === 'number';
}

/** Copies a score matrix into a flat row-major Float64Array; rows must all have the same length. */
export function toScoreMatrix(x: ScoreMatrixInput, name: string): { data: Float64Array; rows: number; cols: number } {
  if (isTensor(x)) {
    if (x.rank !== 2) {
      throw new ShapeError(`${name} must be a rank-2 tensor [samples, classes], got shape [${x.shape.join(', ')}]`, {
        parameter: name,
        shape: x.shape,
      });
    }
    return {
      data: Float64Array.from(x.dataSync() as ArrayLike<number>),
      rows: x.shape[0] as number,
      cols: x.shape[1] as number,
    };
  }
  const rows = x.length;
  const cols = rows > 0 ? x[0].length : 0;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = x[i];
    if (row.length !== cols) {
      throw new ShapeError(`${name}[${i}] has length ${row.length} but ${name}[0] has length ${cols}`, {
        parameter: name,
        row: i,
      });
    }
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j];
  }
  return { data, rows, cols };
}

/** Copies a batch of 2-D maps into one flat Float64Array with its shape `[N, H, W]`. */
export function toMapBatch(x: MapBatchInput, name: string): MapBatch {
  if (isTensor(x)) {
    const s = x.shape;
    let shape: [number, number, number];
    if (s.length === 2) shape = [1, s[0], s[1]];
    else if (s.length === 3) shape = [s[0], s[1], s[2]];
    else if (s.length === 4 && s[3] === 1) shape = [s[0], s[1], s[2]];
    else {
      throw new ShapeError(`${name} must have shape [H, W], [N, H, W] or [N, H, W, 1], got [${s.join(', ')}]`, {
        parameter: name,
        shape: s,
      });
    }
    return {
      data: Float64Array.from(x.dataSync() as ArrayLike<number>),
      n: shape[0],
      height: shape[1],
      width: shape[2],
    };
  }
  if (!Array.isArray(x) && typeof x === 'object' && x !== null && 'data' in x && 'shape' in x) {
    const [n, height, width] = x.shape;
    if (x.data.length !== n * height * width) {
      throw new ShapeError(
        `${name}.data has length ${x.data.length} but shape [${x.shape.join(', ')}] needs ${n * height * width}`,
        { parameter: name, shape: x.shape },
      );
    }
    return { data: toFloat64(x.data, `${name}.data`), n, height, width };
  }
  if (!Array.isArray(x)) {
    throw new InvalidArgumentError(`${name} must be a tensor, nested N×H×W arrays or {data, shape}`, {
      parameter: name,
    });
  }
  const nested = x as ReadonlyArray<ReadonlyArray<ArrayLike<number>>>;
  const n = nested.length;
  const height = n > 0 ? nested[0].length : 0;
  const width = height > 0 ? nested[0][0].length : 0;
  const data = new Float64Array(n * height * width);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (nested[i].length !== height) {
      throw new ShapeError(`${name}[${i}] has ${nested[i].length} rows but ${name}[0] has ${height}`, {
        parameter: name,
        image: i,
      });
    }
    for (let r = 0; r < height; r++) {
      const row = nested[i][r];
      if (row.length !== width) {
        throw new ShapeError(`${name}[${i}][${r}] has length ${row.length} but ${name}[0][0] has length ${width}`, {
          parameter: name,
          image: i,
          row: r,
        });
      }
      for (let c = 0; c < width; c++) data[k++] = row[c];
    }
  }
  return { data, n, height, width };
}
