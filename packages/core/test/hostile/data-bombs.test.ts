/**
 * Hostile data files for the reliability report (suite 'core'): decompression and allocation bombs in every
 * parser, built at test time. Bombs run in a child process importing the BUILT core (run the build first) so that
 * their peak memory is measured; each must end in a typed error (`INPUT_TOO_LARGE`) within a second of parsing, with
 * a peak RSS close to an idle Node process's.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childMs, runChild, runHostileCall, runHostileCase } from '../../../../test/hostile/harness.js';
import * as hostile from '../../src/data/hostile-inputs.js';
import { readIdx, writeIdx } from '../../src/data/idx.js';
import { imageFolder } from '../../src/data/image-folder.js';
import { loadMvtec } from '../../src/data/mvtec.js';
import { parseNpy, parseNpz } from '../../src/data/npy.js';

const suite = 'core';
const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const DIST_URL = pathToFileURL(DIST).href;
const MiB = 1024 * 1024;

let tmp: string;
let baselineMiB = 0;

/**
 * Runs `call` (an expression over `m`, the built core, and `file`) in a child process through `runHostileCall`, which
 * prints the parse time as `(after X ms)` and, for an FtError, `[CODE] message` on stderr with exit code 2.
 */
function childParse(
  meta: Parameters<typeof runHostileCall>[0],
  call: string,
  file: string,
  env?: NodeJS.ProcessEnv,
): ReturnType<typeof runHostileCall> {
  return runHostileCall(meta, {
    setup: `const m = await import(${JSON.stringify(DIST_URL)}); const file = ${JSON.stringify(file)};`,
    call,
    timeoutMs: 60_000,
    ...(env ? { env } : {}),
  });
}

/** Peak RSS bound for a bomb whose legitimate data is `legitBytes`: baseline + 3 × legit + 64 MiB slack. */
function bound(legitBytes: number): number {
  return baselineMiB + (3 * legitBytes) / MiB + 64;
}

beforeAll(async () => {
  if (!existsSync(DIST)) {
    throw new Error(`${DIST} is missing: run the build first (npx -y pnpm@10 run build)`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'ft-hostile-data-'));
  // Baseline: a child that only imports the built core (not a case; the bound is relative to it).
  const idle = await runChild(['--input-type=module', '-e', `await import(${JSON.stringify(DIST_URL)});`]);
  expect(idle.exitCode).toBe(0);
  baselineMiB = idle.peakMiB ?? 0;
  expect(baselineMiB).toBeGreaterThan(20);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface BombCase {
  id: string;
  /** Builds the file; returns its contents. */
  build: () => Uint8Array;
  /** Expression over `m` and `file` that loads it. */
  call: string;
  /** Bytes of legitimate data the file declares (for the memory bound). */
  legitBytes: number;
  /** What it would inflate to or allocate without the limits, for the record. */
  note: string;
}

const bombs: BombCase[] = [
  {
    id: 'idx-gzip-bomb-small-header',
    note: '3 GiB of zeros after a [10, 28, 28] header',
    build: () => hostile.gzipBomb(hostile.idxHeader([10, 28, 28]), 3072),
    call: 'm.readIdxFile(file)',
    legitBytes: 16 + 7840,
  },
  {
    id: 'idx-gzip-bomb-declared',
    note: 'header declares [4000000, 28, 28] (2.9 GiB), stream inflates to 3 GiB',
    build: () => hostile.gzipBomb(hostile.idxHeader([4_000_000, 28, 28]), 3072),
    call: 'm.readIdxFile(file)',
    legitBytes: 0,
  },
  {
    id: 'idx-raw-dims-overflow',
    note: '255 dimensions of 2^32-1 (product overflows a double)',
    build: () => hostile.idxHeader(new Array(255).fill(2 ** 32 - 1)),
    call: 'm.readIdxFile(file)',
    legitBytes: 0,
  },
  {
    id: 'npz-member-bomb',
    note: 'member declares (10,) float64 and 208 bytes, deflate stream inflates to 4.5 GiB',
    build: () => {
      const h = hostile.npyHeader('<f8', '(10,)');
      return hostile.zipOne('x.npy', hostile.deflateBombRaw(h, 4608), { size: h.length + 80 });
    },
    call: 'm.readNpz(file)',
    legitBytes: 208,
  },
  {
    id: 'npz-zip64-declared',
    note: 'ZIP64 directory declares a 4.5 GiB member',
    build: () =>
      hostile.zipOne('x.npy', hostile.deflateBombRaw(hostile.npyHeader('<f8', '(10,)'), 4608), { size: 4608 * MiB }),
    call: 'm.readNpz(file)',
    legitBytes: 0,
  },
  {
    id: 'npz-npy-shape-declared',
    note: 'member NPY header declares (1000000000,) float64 (7.5 GiB)',
    build: () =>
      hostile.zipOne('y.npy', hostile.deflateBombRaw(hostile.npyHeader('<f8', '(1000000000,)'), 1024), { size: 1000 }),
    call: 'm.readNpz(file)',
    legitBytes: 0,
  },
  {
    id: 'npy-shape-declared',
    note: 'NPY header declares (1099511627776, 1099511627776) float64',
    build: () => hostile.npyHeader('<f8', '(1099511627776, 1099511627776)'),
    call: 'm.readNpy(file)',
    legitBytes: 0,
  },
  {
    id: 'png-20000x20000-header',
    note: 'IHDR 20000×20000 RGBA over 20 bytes of IDAT (1.6 GB of pixels)',
    build: () => hostile.pngWithHeader(20000, 20000, deflateSync(Buffer.alloc(64))),
    call: 'm.readImageFile(file)',
    legitBytes: 0,
  },
  {
    id: 'png-interlaced-idat-bomb',
    note: '64×64 interlaced PNG whose IDAT inflates to 3 GiB',
    build: () => hostile.pngWithHeader(64, 64, hostile.zlibBomb(Buffer.alloc(0), 3072), 1),
    call: 'm.readImageFile(file)',
    legitBytes: 64 * 64 * 4,
  },
  {
    id: 'jpeg-sof-65535x65535',
    note: 'JPEG frame header declares 65535×65535',
    build: () => hostile.jpegWithHeader(65535, 65535),
    call: 'm.readImageFile(file)',
    legitBytes: 0,
  },
];

describe('hostile data: bombs (child process, built core)', () => {
  for (const b of bombs) {
    it(`${b.id}: ${b.note} → INPUT_TOO_LARGE fast, bounded memory`, async () => {
      const file = join(tmp, b.id);
      writeFileSync(file, b.build());
      const o = await childParse({ suite, id: b.id, category: 'bomb' }, b.call, file);
      const ms = childMs(o.child.stderr);
      const info = `${b.id}: file ${(statSync(file).size / MiB).toFixed(2)} MiB, ${ms.toFixed(1)} ms to the error, peak ${o.peakMiB?.toFixed(1)} MiB (baseline ${baselineMiB.toFixed(1)})`;
      console.log(info);
      expect(o.kind, o.child.stderr).toBe('typed');
      expect(o.code).toBe('INPUT_TOO_LARGE');
      expect(o.child.stderr).toContain(file);
      expect(ms).toBeLessThan(1000);
      expect(o.peakMiB).toBeDefined();
      expect(o.peakMiB as number).toBeLessThan(bound(b.legitBytes + statSync(file).size));
    });
  }

  it('control: a legitimate 15 MiB gzip IDX file loads, and FT_MAX_INPUT_BYTES=1M refuses it', async () => {
    const file = join(tmp, 'legit-images-idx3-ubyte.gz');
    const n = 20000;
    const data = new Uint8Array(n * 28 * 28);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    writeFileSync(file, gzipSync(writeIdx({ dtype: 'uint8', shape: [n, 28, 28], data })));
    const ok = await childParse(
      { suite, id: 'idx-gzip-legit-15MiB', category: 'bomb', expect: 'ok' },
      'm.readIdxFile(file)',
      file,
    );
    console.log(
      `idx-gzip-legit-15MiB: ${childMs(ok.child.stdout).toFixed(1)} ms, peak ${ok.peakMiB?.toFixed(1)} MiB (baseline ${baselineMiB.toFixed(1)})`,
    );
    expect(ok.kind, ok.child.stderr).toBe('ok');
    expect(ok.peakMiB as number).toBeLessThan(bound(data.length + 16));
    const refused = await childParse({ suite, id: 'idx-env-limit-1M', category: 'bomb' }, 'm.readIdxFile(file)', file, {
      FT_MAX_INPUT_BYTES: '1M',
    });
    expect(refused.kind).toBe('typed');
    expect(refused.code).toBe('INPUT_TOO_LARGE');
    expect(refused.child.stderr).toMatch(/over the input limit of 1\.0 MiB/);
  });
});

describe('hostile data: malformed headers (in process)', () => {
  const cases: Array<{ id: string; code: string; fn: () => unknown }> = [
    {
      id: 'npy-header-300KB',
      code: 'INPUT_TOO_LARGE',
      fn: () => parseNpy(hostile.npyHugeHeader(300_000), { file: 'h.npy' }),
    },
    {
      id: 'npy-shape-float-literal',
      code: 'DATASET_FORMAT',
      fn: () => parseNpy(Buffer.concat([hostile.npyHeader('<f8', '(1e1,)'), Buffer.alloc(80)])),
    },
    {
      id: 'idx-gzip-truncated-header',
      code: 'DATASET_FORMAT',
      fn: () => readIdx(gzipSync(hostile.idxHeader([10, 28])).subarray(0, 14)),
    },
    {
      id: 'npz-zip64-extra-truncated',
      code: 'DATASET_FORMAT',
      fn: () => {
        const z = hostile.zipOne('x.npy', hostile.deflateBombRaw(hostile.npyHeader('<f8', '(1,)'), 0), {
          size: 0xffffffff,
        });
        const cd = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
        z.writeUInt16LE(0, cd + 46 + 5 + 2);
        return parseNpz(z);
      },
    },
    {
      id: 'npz-entry-count-lie',
      code: 'DATASET_FORMAT',
      fn: () => {
        const z = hostile.zipOne('x.npy', hostile.deflateBombRaw(hostile.npyHeader('<f8', '(1,)'), 0), { size: 136 });
        z.writeUInt16LE(0xffff, z.length - 22 + 10);
        z.writeUInt16LE(0xffff, z.length - 22 + 8);
        return parseNpz(z);
      },
    },
  ];
  for (const c of cases) {
    it(`${c.id} → ${c.code}`, async () => {
      const o = await runHostileCase({ suite, id: c.id, category: 'input', timeoutMs: 5000 }, c.fn);
      expect(o.kind, o.message).toBe('typed');
      expect(o.code).toBe(c.code);
      expect(o.ms).toBeLessThan(1000);
    });
  }

  it('mvtec-mask-size-mismatch → SHAPE naming the mask', async () => {
    const c = join(tmp, 'mvtec', 'cable');
    const png = (w: number, h: number) => PNG.sync.write(new PNG({ width: w, height: h }));
    for (const [p, w, h] of [
      ['train/good/000.png', 8, 8],
      ['test/cut/000.png', 8, 8],
      ['ground_truth/cut/000_mask.png', 8, 16],
    ] as const) {
      mkdirSync(join(c, p, '..'), { recursive: true });
      writeFileSync(join(c, p), png(w, h));
    }
    const o = await runHostileCase({ suite, id: 'mvtec-mask-size-mismatch', category: 'input' }, () =>
      loadMvtec(join(tmp, 'mvtec'), 'cable', { split: 'test', size: 4 }),
    );
    expect(o.kind).toBe('typed');
    expect(o.code).toBe('SHAPE');
    expect(o.message).toContain('000_mask.png');
  });

  it('image-folder-empty-class → EMPTY_DATASET naming the folder', async () => {
    const root = join(tmp, 'folder');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    writeFileSync(join(root, 'a/0.png'), PNG.sync.write(new PNG({ width: 4, height: 4 })));
    const o = await runHostileCase({ suite, id: 'image-folder-empty-class', category: 'input' }, () =>
      imageFolder(root, { log: () => {} }),
    );
    expect(o.kind).toBe('typed');
    expect(o.code).toBe('EMPTY_DATASET');
    expect(o.message).toContain(join(root, 'b'));
  });
});
