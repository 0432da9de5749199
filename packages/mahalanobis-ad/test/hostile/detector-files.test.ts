/**
 * Hostile detector.json files (issue 13, item 2): backbone folders and padim.bin paths that leave the detector
 * folder, /dev/zero, absurd declared shapes. Inputs are built in a temp dir at test time; cases that could read
 * forever run in a child process on the BUILT dist, which reports the time to the typed error itself.
 */
import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childMs, type HostileOutcome, runHostileCall, runHostileCase } from '../../../../test/hostile/harness.js';
import { MahalanobisDetector } from '../../src/detector.js';
import { tinyBackbone } from '../../src/test-helpers.js';

const suite = 'mahalanobis-ad';
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const distUrl = pathToFileURL(path.join(packageDir, 'dist', 'index.js')).href;
let tmp: string;
let good: string;
let goodJson: Record<string, any>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-hostile-det-'));
  good = path.join(tmp, 'good');
  const det = await new MahalanobisDetector(tinyBackbone(), { segmentation: { levels: ['block2'] } }).fit(
    toyImages(12, [8, 8, 1], 1),
  );
  await det.save(good);
  goodJson = JSON.parse(await fs.readFile(path.join(good, 'detector.json'), 'utf8'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A copy of the good detector folder with detector.json changed by `edit`. */
async function hostileDetector(name: string, edit: (j: Record<string, any>) => void): Promise<string> {
  const dir = path.join(tmp, name);
  await fs.cp(good, dir, { recursive: true });
  const j = structuredClone(goodJson);
  edit(j);
  await fs.writeFile(path.join(dir, 'detector.json'), JSON.stringify(j));
  return dir;
}

/** Runs MahalanobisDetector.load(dir) in a child on the built dist (see `runHostileCall`). */
const childLoad = (id: string, category: 'path' | 'input', dir: string) =>
  runHostileCall(
    { suite, id, category },
    {
      cwd: packageDir,
      setup: `import '@tensorflow/tfjs-backend-cpu'; const mad = await import(${JSON.stringify(distUrl)});`,
      call: `mad.MahalanobisDetector.load(${JSON.stringify(dir)})`,
    },
  );

function expectTyped(o: HostileOutcome, code: string) {
  expect(o.kind, o.message).toBe('typed');
  expect(o.code).toBe(code);
  expect(o.ms).toBeLessThan(1000);
}
const inProcess = (id: string, category: 'path' | 'input', dir: string) =>
  runHostileCase({ suite, id, category }, () => MahalanobisDetector.load(dir));

describe('hostile detector.json files (mahalanobis-ad)', () => {
  it('a valid detector still loads', async () => {
    const o = await runHostileCase({ suite, id: 'detector-valid', category: 'input', expect: 'ok' }, () =>
      MahalanobisDetector.load(good),
    );
    expect(o.kind).toBe('ok');
  });

  it('backbone.dir ../.. escape ⇒ UNSAFE_PATH', async () => {
    const dir = await hostileDetector('bb-dotdot', (j) => {
      j.backbone.dir = '../good/backbone';
    });
    expectTyped(await inProcess('backbone-dir-dotdot', 'path', dir), 'UNSAFE_PATH');
  });

  it('backbone.dir absolute ⇒ UNSAFE_PATH', async () => {
    const dir = await hostileDetector('bb-abs', (j) => {
      j.backbone.dir = path.join(good, 'backbone');
    });
    expectTyped(await inProcess('backbone-dir-absolute', 'path', dir), 'UNSAFE_PATH');
  });

  it('backbone.dir through a symlink that leads outside ⇒ UNSAFE_PATH', async () => {
    const dir = await hostileDetector('bb-link', (j) => {
      j.backbone.dir = 'elsewhere';
    });
    await fs.symlink(path.join(good, 'backbone'), path.join(dir, 'elsewhere'));
    expectTyped(await inProcess('backbone-dir-symlink-escape', 'path', dir), 'UNSAFE_PATH');
  });

  it('segmentation.file /etc/passwd ⇒ UNSAFE_PATH', async () => {
    const dir = await hostileDetector('seg-passwd', (j) => {
      j.segmentation.file = '/etc/passwd';
    });
    expectTyped(await inProcess('padim-file-etc-passwd', 'path', dir), 'UNSAFE_PATH');
  });

  it('padim.bin as a symlink to /dev/zero ⇒ UNSAFE_PATH (child)', async () => {
    const dir = await hostileDetector('seg-zero', () => {});
    await fs.rm(path.join(dir, 'padim.bin'));
    await fs.symlink('/dev/zero', path.join(dir, 'padim.bin'));
    const o = await childLoad('padim-dev-zero', 'path', dir);
    expect(o.code, o.child.stderr).toBe('UNSAFE_PATH');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
  });

  it('padim.bin of the wrong size ⇒ MODEL_FORMAT before reading', async () => {
    const dir = await hostileDetector('seg-size', () => {});
    await fs.appendFile(path.join(dir, 'padim.bin'), new Uint8Array(800));
    expectTyped(await inProcess('padim-size-mismatch', 'input', dir), 'MODEL_FORMAT');
  });

  it('absurd declared segmentation shape (height 1e9) ⇒ MODEL_FORMAT', async () => {
    const dir = await hostileDetector('seg-huge', (j) => {
      j.segmentation.height = 1e9;
      j.segmentation.byteLength = 8e9;
    });
    expectTyped(await inProcess('padim-absurd-shape', 'input', dir), 'MODEL_FORMAT');
  });

  it('absurd Gaussian dim ⇒ MODEL_FORMAT', async () => {
    const dir = await hostileDetector('gauss-dim', (j) => {
      j.gaussian.levels[0].dim = 1e9;
    });
    expectTyped(await inProcess('gaussian-absurd-dim', 'input', dir), 'MODEL_FORMAT');
  });
});
