/**
 * Hostile JADCE model files (issue 13, item 2): absurd hyperparameters (T = 1e8 layers used to hang the load),
 * inconsistent dimensions, weights.npz as /dev/zero. Inputs are built in a temp dir at test time; the cases that
 * used to hang run in a child process on the BUILT dist, which reports the time to the typed error itself.
 */
import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childMs, type HostileOutcome, runHostileCall, runHostileCase } from '../../../../test/hostile/harness.js';
import { FeatureAidedJadceNet } from '../../src/feature-aided-net.js';
import { loadLearnedModel, saveLearnedModel } from '../../src/learned-models.js';
import { makePilots } from '../../src/simulate.js';
import { listaGs } from '../../src/unrolled-ista.js';

const suite = 'jadce';
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const distUrl = pathToFileURL(path.join(packageDir, 'dist', 'index.js')).href;
let tmp: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-hostile-jadce-'));
  const S = makePilots(6, 16, createRng(1));
  const lista = listaGs({ S, T: 2 });
  saveLearnedModel(path.join(tmp, 'lista'), { kind: 'lista-gs', net: lista });
  lista.dispose();
  const prop = new FeatureAidedJadceNet({ S, r: 2, T: 2, J: 1 });
  saveLearnedModel(path.join(tmp, 'proposed'), { kind: 'proposed', net: prop, rank: 2 });
  prop.dispose();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A copy of a saved model folder with model.json changed by `edit`. */
async function hostileModel(
  from: 'lista' | 'proposed',
  name: string,
  edit: (j: { kind: string; config: Record<string, unknown>; rank?: unknown }) => void,
): Promise<string> {
  const dir = path.join(tmp, name);
  await fs.cp(path.join(tmp, from), dir, { recursive: true });
  const j = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
  edit(j);
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(j));
  return dir;
}

/** Runs loadLearnedModel(dir) in a child on the built dist (see `runHostileCall`). */
const childLoad = (id: string, category: 'path' | 'input', dir: string) =>
  runHostileCall(
    { suite, id, category },
    {
      cwd: packageDir,
      setup: `import '@tensorflow/tfjs-backend-cpu'; const jadce = await import(${JSON.stringify(distUrl)});`,
      call: `jadce.loadLearnedModel(${JSON.stringify(dir)})`,
    },
  );

function expectTyped(o: HostileOutcome, code: string) {
  expect(o.kind, o.message).toBe('typed');
  expect(o.code).toBe(code);
  expect(o.ms).toBeLessThan(1000);
}
const inProcess = (id: string, dir: string) =>
  runHostileCase({ suite, id, category: 'input' }, () => loadLearnedModel(dir));

describe('hostile JADCE model files (jadce)', () => {
  it('valid models still load', async () => {
    for (const m of ['lista', 'proposed']) {
      const o = await runHostileCase({ suite, id: `model-valid-${m}`, category: 'input', expect: 'ok' }, () =>
        loadLearnedModel(path.join(tmp, m)).net.dispose(),
      );
      expect(o.kind).toBe('ok');
    }
  });

  it('T = 1e8 layers ⇒ MODEL_FORMAT naming T and its range (child: it used to hang)', async () => {
    for (const from of ['lista', 'proposed'] as const) {
      const dir = await hostileModel(from, `T-1e8-${from}`, (j) => {
        j.config.T = 1e8;
      });
      const o = await childLoad(`absurd-T-${from}`, 'input', dir);
      expect(o.code, o.child.stderr).toBe('MODEL_FORMAT');
      expect(o.child.stderr).toMatch(/config\.T must be an integer in \[1, 1000\]/);
      expect(childMs(o.child.stderr)).toBeLessThan(1000);
    }
  });

  it('T = 900 within range but not what the weights hold ⇒ MODEL_FORMAT (child)', async () => {
    const dir = await hostileModel('proposed', 'T-900', (j) => {
      j.config.T = 900;
    });
    const o = await childLoad('T-exceeds-stored-layers', 'input', dir);
    expect(o.code, o.child.stderr).toBe('MODEL_FORMAT');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
  });

  it('dimensions: negative, fractional, huge, inconsistent with the pilots', async () => {
    const cases: [string, (c: Record<string, unknown>) => void][] = [
      ['N-negative', (c) => Object.assign(c, { N: -1 })],
      ['L-fraction', (c) => Object.assign(c, { L: 2.5 })],
      ['N-huge', (c) => Object.assign(c, { N: 1e9 })],
      ['L-vs-pilots', (c) => Object.assign(c, { L: 5 })],
      ['J-huge', (c) => Object.assign(c, { J: 1e7 })],
      ['r-string', (c) => Object.assign(c, { r: '2' })],
    ];
    for (const [id, f] of cases) {
      const dir = await hostileModel('proposed', id, (j) => f(j.config));
      expectTyped(await inProcess(`config-${id}`, dir), 'MODEL_FORMAT');
    }
  });

  it('weights.npz as a symlink to /dev/zero ⇒ UNSAFE_PATH (child)', async () => {
    const dir = await hostileModel('lista', 'npz-zero', () => {});
    await fs.rm(path.join(dir, 'weights.npz'));
    await fs.symlink('/dev/zero', path.join(dir, 'weights.npz'));
    const o = await childLoad('weights-npz-dev-zero', 'path', dir);
    expect(o.code, o.child.stderr).toBe('UNSAFE_PATH');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
  });
});
