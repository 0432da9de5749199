import '@tensorflow/tfjs-backend-cpu';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileNotFoundError, ModelFormatError, UnsafePathError } from '../errors.js';
import { tinyCnn } from './cnns.js';
import { readModelArtifacts } from './file-io-handler.js';
import { loadModel, saveModel } from './save-load.js';

let tmp: string;
let good: string;
let goodJson: Record<string, unknown>;
let weightBytes: number;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-file-io-'));
  good = path.join(tmp, 'good');
  await saveModel(tinyCnn({ inputShape: [8, 8, 1], numClasses: 3, seed: 1 }).model, good);
  goodJson = JSON.parse(await fs.readFile(path.join(good, 'model.json'), 'utf8'));
  weightBytes = (await fs.stat(path.join(good, 'weights.bin'))).size;
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A copy of the good model whose manifest lists `paths` (and whose folder holds the good weights.bin). */
async function withPaths(name: string, paths: string[]): Promise<string> {
  const dir = path.join(tmp, name);
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(path.join(good, 'weights.bin'), path.join(dir, 'weights.bin'));
  const json = structuredClone(goodJson) as { weightsManifest: { paths: string[] }[] };
  json.weightsManifest[0].paths = paths;
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

const failure = async (p: Promise<unknown>) => {
  const t0 = performance.now();
  try {
    await p;
  } catch (e) {
    return { e: e as Error & { code?: string }, ms: performance.now() - t0 };
  }
  throw new Error('expected a rejection');
};

describe('readModelArtifacts: weight paths are confined to the model folder', () => {
  it('still loads a valid model', async () => {
    const a = await readModelArtifacts(good);
    expect((a.weightData as ArrayBuffer).byteLength).toBe(weightBytes);
  });

  it('refuses ../../etc/passwd and an absolute /etc/passwd with UNSAFE_PATH naming model.json', async () => {
    for (const [name, p] of [
      ['dotdot', '../../etc/passwd'],
      ['abs', '/etc/passwd'],
    ]) {
      const dir = await withPaths(name, [p]);
      const { e } = await failure(readModelArtifacts(dir));
      expect(e).toBeInstanceOf(UnsafePathError);
      expect(e.message).toContain(path.join(dir, 'model.json'));
      expect(e.message).toContain('weightsManifest[0].paths[0]');
    }
  });

  it('refuses /dev/zero fast (absolute, and through a symlink in the folder)', async () => {
    const dir = await withPaths('zero', ['/dev/zero']);
    const { e, ms } = await failure(readModelArtifacts(dir));
    expect(e.code).toBe('UNSAFE_PATH');
    expect(ms).toBeLessThan(1000);
    const dir2 = await withPaths('zero-link', ['zero.bin']);
    await fs.symlink('/dev/zero', path.join(dir2, 'zero.bin'));
    const r = await failure(readModelArtifacts(dir2));
    expect(r.e.code).toBe('UNSAFE_PATH');
    expect(r.ms).toBeLessThan(1000);
  });

  it('refuses a symlink that leads outside and accepts one that stays inside', async () => {
    const outside = path.join(tmp, 'outside.bin');
    await fs.copyFile(path.join(good, 'weights.bin'), outside); // size-matched: would load as weights before
    const dir = await withPaths('sym-out', ['w.bin']);
    await fs.symlink(outside, path.join(dir, 'w.bin'));
    expect((await failure(readModelArtifacts(dir))).e).toBeInstanceOf(UnsafePathError);
    const dir2 = await withPaths('sym-in', ['w.bin']);
    await fs.symlink(path.join(dir2, 'weights.bin'), path.join(dir2, 'w.bin'));
    expect(((await readModelArtifacts(dir2)).weightData as ArrayBuffer).byteLength).toBe(weightBytes);
  });

  it('refuses a folder and a FIFO as weight file, without blocking', async () => {
    const dir = await withPaths('folder', ['sub']);
    await fs.mkdir(path.join(dir, 'sub'));
    expect((await failure(readModelArtifacts(dir))).e.message).toMatch(/is a folder, not a regular file/);
    const dir2 = await withPaths('fifo', ['pipe']);
    execFileSync('mkfifo', [path.join(dir2, 'pipe')]);
    const { e, ms } = await failure(readModelArtifacts(dir2));
    expect(e.message).toMatch(/is a FIFO/);
    expect(ms).toBeLessThan(1000);
  });

  it('a size-mismatched weight file is refused before it is read, without naming its size', async () => {
    const dir = await withPaths('bigger', ['weights.bin']);
    await fs.appendFile(path.join(dir, 'weights.bin'), new Uint8Array(12345));
    const { e } = await failure(readModelArtifacts(dir));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toContain(`longer than the ${weightBytes} bytes`);
    expect(e.message).not.toContain(String(weightBytes + 12345));
  });

  it('a missing weight file is still ModelFileNotFoundError; a missing model.json too', async () => {
    const dir = await withPaths('missing', ['nope.bin']);
    expect((await failure(readModelArtifacts(dir))).e).toBeInstanceOf(ModelFileNotFoundError);
    expect((await failure(readModelArtifacts(path.join(tmp, 'none')))).e).toBeInstanceOf(ModelFileNotFoundError);
  });

  it('model.json itself: /dev/zero or a FIFO given directly is refused, not read', async () => {
    const fifo = path.join(tmp, 'm.json');
    execFileSync('mkfifo', [fifo]);
    const { e, ms } = await failure(readModelArtifacts(fifo));
    expect(e.code).toBe('UNSAFE_PATH');
    expect(ms).toBeLessThan(1000);
    const dz = await failure(loadModel('/dev/zero/model.json'));
    expect(dz.e).toBeInstanceOf(ModelFileNotFoundError);
  });

  it('a manifest entry of the wrong type is a ModelFormatError, not a TypeError', async () => {
    const dir = path.join(tmp, 'bad-entry');
    await fs.mkdir(dir);
    await fs.copyFile(path.join(good, 'weights.bin'), path.join(dir, 'weights.bin'));
    const json = structuredClone(goodJson) as { weightsManifest: { weights: unknown[] }[] };
    json.weightsManifest[0].weights[0] = null;
    await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    const { e } = await failure(loadModel(dir));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/weightsManifest\[0\]\.weights\[0\] must be an object/);
  });
});
