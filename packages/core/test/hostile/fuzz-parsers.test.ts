/**
 * Fuzz pass over the data parsers (suite 'core'): seeded random mutations of tiny valid files (IDX raw and gzip,
 * NPY, NPZ, PNG). Every mutation must end in a typed error (FtError) or a valid result: no hang, no untyped crash.
 *
 * Iterations per parser: `FT_FUZZ_ITERATIONS` (default 10,000). For a longer soak run, e.g.:
 *   FT_FUZZ_ITERATIONS=200000 npx vitest run --project core test/hostile/fuzz-parsers.test.ts
 * Half of the mutations are confined to the first 64 bytes (the headers), where the length fields live.
 */
import { crc32, gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { mutateBytes, mutationRng, recordFuzz } from '../../../../test/hostile/harness.js';
import { readIdx, writeIdx } from '../../src/data/idx.js';
import { decodeImage } from '../../src/data/image-io.js';
import { encodeNpy, encodeNpz, npyArray, parseNpy, parseNpz } from '../../src/data/npy.js';
import { FtError } from '../../src/errors.js';

const suite = 'core';
const ITER = Number(process.env.FT_FUZZ_ITERATIONS ?? 10_000);
/** Limits small enough that a mutated length field cannot make a single case slow. */
const limits = { maxInputBytes: 1 << 20, maxImagePixels: 1 << 16 };

function mutate(seed: Uint8Array, rnd: () => number): Uint8Array {
  if (rnd() < 0.5) return mutateBytes(seed, rnd);
  // header-biased: mutate only the first 64 bytes, keep the rest
  const n = Math.min(64, seed.length);
  const head = mutateBytes(seed.subarray(0, n), rnd);
  const out = new Uint8Array(head.length + seed.length - n);
  out.set(head);
  out.set(seed.subarray(n), head.length);
  return out;
}

function fuzz(id: string, seeds: Uint8Array[], parse: (b: Uint8Array) => unknown, seedNo: number): void {
  const rnd = mutationRng(seedNo);
  let typed = 0;
  let ok = 0;
  const untyped: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < ITER; i++) {
    const input = mutate(seeds[i % seeds.length], rnd);
    try {
      parse(input);
      ok++;
    } catch (e) {
      if (e instanceof FtError) typed++;
      else if (untyped.length < 20) untyped.push(`#${i}: ${(e as Error)?.stack?.split('\n').slice(0, 3).join(' ')}`);
      else untyped.push('…');
    }
  }
  const ms = performance.now() - t0;
  recordFuzz({ suite, id, count: ITER, typedCount: typed, okCount: ok, untyped, ms });
  console.log(
    `${id}: ${ITER} mutations, ${typed} typed, ${ok} ok, ${untyped.length} untyped, ${(ms / 1000).toFixed(1)} s`,
  );
  expect(untyped, untyped.slice(0, 5).join('\n')).toEqual([]);
}

const idxU8 = writeIdx({ dtype: 'uint8', shape: [4, 4, 4], data: Uint8Array.from({ length: 64 }, (_, i) => i) });
const idxF32 = writeIdx({ dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) });
const npyF8 = encodeNpy(
  npyArray(
    'float64',
    [4, 4],
    Array.from({ length: 16 }, (_, i) => i),
  ),
);
const npyI2 = encodeNpy(npyArray('int16', [3], [1, -2, 3]), { endian: 'big', fortranOrder: false });
const npyF = encodeNpy(npyArray('float32', [2, 2], [1, 2, 3, 4]), { fortranOrder: true });
/** A tiny PNG (pngjs writes no interlaced PNGs: header mutations reach the interlace flag). */
function png(w: number, h: number, colorType: 0 | 2 | 6): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 37) & 0xff;
  return PNG.sync.write(p, { colorType });
}

/**
 * Rewrites the CRC of every whole chunk of a (mutated) PNG, so the mutation gets past pngjs' CRC check and reaches
 * the chunk parsers and the decoder (without this, almost every mutation dies at the first CRC).
 */
function fixPngCrcs(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const dv = new DataView(out.buffer);
  let off = 8;
  while (off + 12 <= out.length) {
    const len = dv.getUint32(off);
    if (off + 12 + len > out.length) break;
    dv.setUint32(off + 8 + len, crc32(out.subarray(off + 4, off + 8 + len)) >>> 0);
    off += 12 + len;
  }
  return out;
}

describe('fuzz: data parsers (seeded mutations of tiny valid files)', () => {
  it('IDX raw', () => fuzz('fuzz-idx-raw', [idxU8, idxF32], (b) => readIdx(b, limits), 1));
  it('IDX gzip', () => fuzz('fuzz-idx-gz', [gzipSync(idxU8), gzipSync(idxF32)], (b) => readIdx(b, limits), 2));
  it('NPY', () => fuzz('fuzz-npy', [npyF8, npyI2, npyF], (b) => parseNpy(b, limits), 3));
  it('NPZ', () =>
    fuzz(
      'fuzz-npz',
      [
        encodeNpz(
          { a: npyArray('float64', [2, 2], [1, 2, 3, 4]), b: npyArray('uint8', [3], [1, 2, 3]) },
          { compressed: true },
        ),
        encodeNpz({ a: npyArray('int32', [2], [1, 2]) }),
      ],
      (b) => parseNpz(b, limits),
      4,
    ));
  it('PNG', () =>
    fuzz('fuzz-png', [png(4, 4, 6), png(4, 4, 0), png(3, 5, 2)], (b) => decodeImage(b, 'fuzz.png', limits), 5));
  it('IDX gzip, mutations inside the compressed payload (valid gzip framing)', () =>
    fuzz('fuzz-idx-gz-inner', [idxU8, idxF32], (b) => readIdx(gzipSync(b), limits), 6));
  it('PNG with chunk CRCs repaired after mutation (reaches the chunk parsers and the decoder)', () =>
    fuzz(
      'fuzz-png-crc-fixed',
      [png(4, 4, 6), png(4, 4, 0), png(3, 5, 2)],
      (b) => decodeImage(fixPngCrcs(b), 'fuzz.png', limits),
      7,
    ));
});
