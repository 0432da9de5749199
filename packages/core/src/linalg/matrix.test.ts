import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DTypeError, InvalidArgumentError, ShapeError } from '../errors.js';
import {
  eye,
  frobeniusNorm,
  matmulMatrix,
  matrix,
  matrixToArray,
  matrixToTensor,
  symmetrize,
  toMatrix,
  toSquareMatrix,
  transposeMatrix,
} from './matrix.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Matrix conversions', () => {
  it('converts tensors, nested arrays, flat arrays and Matrix to fresh Float64 copies', () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const t = tf.tensor2d(rows);
    const a = toMatrix(t);
    t.dispose();
    expect(a).toEqual({ rows: 2, cols: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6]) });
    expect(toMatrix(rows)).toEqual(a);
    const copy = toMatrix(a);
    copy.data[0] = 99;
    expect(a.data[0]).toBe(1);
    expect(toMatrix([1, 2, 3])).toMatchObject({ rows: 3, cols: 1 });
    expect(toSquareMatrix(Float64Array.from([1, 2, 3, 4]))).toMatchObject({ rows: 2, cols: 2 });
    expect(matrixToArray(a)).toEqual(rows);
    const back = matrixToTensor(a);
    expect(back.shape).toEqual([2, 3]);
    expect(back.dtype).toBe('float32');
    expect(Array.from(back.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    back.dispose();
  });

  it('rejects bad input with typed errors naming the parameter', () => {
    expect(() => toMatrix([[1, 2], [3]], 'X')).toThrow(ShapeError);
    expect(() => toMatrix([[1, Number.NaN]], 'X')).toThrow(/X: entry 1 is NaN/);
    expect(() => toSquareMatrix([[1, 2]], 'S')).toThrow(/S: expected a square matrix, got shape \[1, 2\]/);
    expect(() => toSquareMatrix(new Float64Array(3))).toThrow(ShapeError);
    const c = tf.complex([1], [2]);
    expect(() => toMatrix(c)).toThrow(DTypeError);
    c.dispose();
    const t3 = tf.zeros([2, 2, 2]);
    expect(() => toMatrix(t3)).toThrow(ShapeError);
    t3.dispose();
    expect(() => toMatrix('x' as never)).toThrow(InvalidArgumentError);
  });

  it('host matmul, transpose, norms and symmetrisation', () => {
    const A = toMatrix([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const B = toMatrix([
      [1, 0, 2],
      [0, 1, 1],
    ]);
    expect(matrixToArray(matmulMatrix(A, B))).toEqual([
      [1, 2, 4],
      [3, 4, 10],
      [5, 6, 16],
    ]);
    expect(matrixToArray(transposeMatrix(A))).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    expect(() => matmulMatrix(A, A)).toThrow(ShapeError);
    expect(frobeniusNorm(eye(4))).toBe(2);
    const big = frobeniusNorm(matrix(2, 2, Float64Array.from([3e200, 4e200, 0, 0]))); // no overflow
    expect(Math.abs(big / 5e200 - 1)).toBeLessThan(1e-15);
    expect(
      matrixToArray(
        symmetrize(
          toMatrix([
            [1, 2],
            [4, 3],
          ]),
        ),
      ),
    ).toEqual([
      [1, 3],
      [3, 3],
    ]);
  });
});
