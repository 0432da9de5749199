import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRng,
  DatasetFormatError,
  DatasetNotFoundError,
  DTypeError,
  InvalidArgumentError,
  npyArray,
  npyComplex,
  readNpz,
  ShapeError,
} from '@ft/core';
import { describe, expect, it } from 'vitest';
import { ampMmv } from './amp-mmv.js';
import { batchItem } from './host-complex.js';
import { nmseDb } from './nmse.js';
import { jadceDataFromArrays, jadceDataToArrays, loadJadceNpz, saveJadceNpz } from './npz-data.js';
import { resolvePriors } from './priors.js';
import { simulateMassiveAccess } from './simulate.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'jadce-npz-'));

describe('JADCE .npz data', () => {
  const d = simulateMassiveAccess({ N: 12, M: 3, L: 6, activity: 0.2, snrDb: 10, count: 4, rng: createRng(1) });

  for (const complex of ['complex128', 'complex64', 'pairs'] as const) {
    for (const compressed of [false, true]) {
      it(`round-trips with complex=${complex}, compressed=${compressed}`, () => {
        const path = join(tmp, `${complex}-${compressed}.npz`);
        saveJadceNpz(path, d, { complex, compressed });
        const back = loadJadceNpz(path);
        const tol = complex === 'complex64' ? 1e-6 : 0;
        expect(back.Y.shape).toEqual([4, 6, 3]);
        expect(back.S.rows).toBe(6);
        expect(back.S.cols).toBe(12);
        for (let i = 0; i < d.Y.re.length; i++)
          expect(Math.abs(back.Y.re[i] - d.Y.re[i])).toBeLessThanOrEqual(tol * 10);
        for (let i = 0; i < d.X!.im.length; i++)
          expect(Math.abs(back.X!.im[i] - d.X!.im[i])).toBeLessThanOrEqual(tol * 10);
        expect(Array.from(back.active!)).toEqual(Array.from(d.active!));
        expect(Array.from(back.sigma2)).toEqual(Array.from(d.sigma2));
        expect(back.eps).toBe(0.2);
        expect(Array.from(back.beta!)).toEqual(Array.from(d.beta!));
      });
    }
  }

  it('reads a file written by numpy.savez_compressed (complex64 S, big-endian Fortran Y_re/Y_im pair, bool active)', () => {
    const data = loadJadceNpz(join(fixtures, 'numpy-small.npz'));
    expect(data.Y.shape).toEqual([12, 16, 4]);
    expect(data.S.rows).toBe(16);
    expect(data.S.cols).toBe(40);
    expect(data.sigma2.length).toBe(12);
    expect(data.eps).toBe(0.1);
    expect(data.active!.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
  });

  it('TS ampMmv matches the standalone NumPy AMP-MMV (benchmarks/jadce/amp_mmv.py) within 0.3 dB on the same .npz', () => {
    const ref = JSON.parse(readFileSync(join(fixtures, 'amp-reference.json'), 'utf8'));
    const data = loadJadceNpz(join(fixtures, 'numpy-small.npz'));
    const { count, N } = { count: 12, N: 40 };
    for (const damping of [0, 0.5]) {
      const xh = { re: [] as number[], im: [] as number[] };
      let misses = 0;
      let fas = 0;
      for (let b = 0; b < count; b++) {
        const r = ampMmv(
          { Y: batchItem(data.Y, b), S: data.S, sigma2: data.sigma2[b], eps: data.eps },
          { damping, maxIter: 100, tol: 1e-6 },
        );
        xh.re.push(...r.X.re);
        xh.im.push(...r.X.im);
        for (let n = 0; n < N; n++) {
          const a = data.active![b * N + n];
          if (a && !r.active[n]) misses++;
          if (!a && r.active[n]) fas++;
        }
      }
      const nmse = nmseDb(xh, { re: data.X!.re, im: data.X!.im });
      const want = ref.results[`damping=${damping.toFixed(1)}`];
      expect(Math.abs(nmse - want.nmseDb)).toBeLessThan(0.3);
      expect(Math.abs(nmse - want.nmseDb)).toBeLessThan(1e-6); // in fact the same algorithm to float precision
      expect(misses).toBe(want.misses);
      expect(fas).toBe(want.falseAlarms);
    }
  });

  describe('bad input', () => {
    const base = () => jadceDataToArrays(d);
    it('names a missing key', () => {
      const a = base();
      delete a.Y;
      expect(() => jadceDataFromArrays(a, { file: 'f.npz' })).toThrow(DatasetFormatError);
      expect(() => jadceDataFromArrays(a, { file: 'f.npz' })).toThrow(/f\.npz: missing key 'Y'/);
      const b = base();
      delete b.sigma2;
      expect(() => jadceDataFromArrays(b)).toThrow(/missing key 'sigma2'/);
      const c = jadceDataToArrays(d, { complex: 'pairs' });
      delete c.S_im;
      expect(() => jadceDataFromArrays(c)).toThrow(/'S_im' is missing/);
      expect(() => loadJadceNpz(join(tmp, 'absent.npz'))).toThrow(DatasetNotFoundError);
    });
    it('rejects S/Y shape mismatches', () => {
      const a = base();
      a.S = npyComplex([5, 12], new Float64Array(60), new Float64Array(60));
      expect(() => jadceDataFromArrays(a)).toThrow(ShapeError);
      expect(() => jadceDataFromArrays(a)).toThrow(/'S' is \[L=5, N=12\] but 'Y' is \[count=4, L=6, M=3\]/);
      const b = base();
      b.active = npyArray('bool', [4, 11], new Uint8Array(44));
      expect(() => jadceDataFromArrays(b)).toThrow(/'active' must be \[count=4, N=12\]/);
      const c = base();
      c.sigma2 = npyArray('float64', [3], [1, 1, 1]);
      expect(() => jadceDataFromArrays(c)).toThrow(/'sigma2' must be a scalar or \[count=4\]/);
    });
    it('rejects NaN values', () => {
      const a = base();
      (a.Y.data as Float64Array)[7] = Number.NaN;
      expect(() => jadceDataFromArrays(a)).toThrow(InvalidArgumentError);
      expect(() => jadceDataFromArrays(a)).toThrow(/'Y' has a non-finite value/);
    });
    it('rejects unsupported dtypes', () => {
      const a = base();
      a.Y = npyArray('int32', [4, 6, 3], new Int32Array(72));
      expect(() => jadceDataFromArrays(a)).toThrow(DTypeError);
      const b = base();
      b.active = npyArray('float32', [4, 12], new Float32Array(48));
      expect(() => jadceDataFromArrays(b)).toThrow(/'active' has dtype float32/);
    });
  });

  it('writes files numpy-compatible in layout (keys, shapes, dtypes)', () => {
    const path = join(tmp, 'layout.npz');
    saveJadceNpz(path, d);
    const a = readNpz(path);
    expect(Object.keys(a).sort()).toEqual(['S', 'X', 'Y', 'active', 'beta', 'eps', 'sigma2']);
    expect(a.Y.dtype).toBe('complex128');
    expect(a.active.dtype).toBe('bool');
    expect(a.eps.shape).toEqual([]);
  });
});

describe('resolvePriors', () => {
  const d = simulateMassiveAccess({ N: 100, M: 8, L: 20, activity: 0.05, snrDb: 10, count: 300, rng: createRng(2) });
  it('prefers flags over file values and reports the source', () => {
    const r = resolvePriors(d, { eps: 0.07, beta: 2 });
    expect(r.eps).toBe(0.07);
    expect(r.beta[0]).toBe(2);
    expect(r.source).toEqual({ eps: 'flag', beta: 'flag' });
    const f = resolvePriors(d);
    expect(f.source).toEqual({ eps: 'file', beta: 'file' });
    expect(() => resolvePriors(d, { eps: 1.5 })).toThrow(/--eps/);
  });
  it('estimates ε from the received energy when missing (within 15 % at 300 realisations)', () => {
    const r = resolvePriors({ ...d, eps: undefined, beta: undefined });
    expect(r.source).toEqual({ eps: 'estimated', beta: 'assumed' });
    expect(Math.abs(r.eps / 0.05 - 1)).toBeLessThan(0.15);
    const g = resolvePriors({ ...d, beta: undefined });
    expect(g.source.beta).toBe('estimated');
    expect(Math.abs(g.beta[0] - 1)).toBeLessThan(0.15);
  });
});
