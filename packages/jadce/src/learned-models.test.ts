import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng, ModelFileNotFoundError, ModelFormatError, UnsafePathError } from '@ft/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FeatureAidedJadceNet } from './feature-aided-net.js';
import { loadLearnedModel, predictLearned, saveLearnedModel } from './learned-models.js';
import { makePilots, simulateMassiveAccess } from './simulate.js';
import { listaGs } from './unrolled-ista.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('learned model checkpoints', () => {
  const S = makePilots(6, 16, createRng(1));
  const data = simulateMassiveAccess({
    N: 16,
    M: 4,
    L: 6,
    activity: 0.2,
    snrDb: 15,
    pilots: S,
    count: 10,
    rng: createRng(2),
  });
  const dir = mkdtempSync(join(tmpdir(), 'jadce-model-'));

  it('saves and reloads both kinds with identical predictions', () => {
    for (const [name, model] of [
      ['proposed', { kind: 'proposed' as const, net: new FeatureAidedJadceNet({ S, r: 2, T: 2, J: 1 }), rank: 2 }],
      ['lista', { kind: 'lista-gs' as const, net: listaGs({ S, T: 2 }) }],
    ] as const) {
      saveLearnedModel(join(dir, name), model);
      const back = loadLearnedModel(join(dir, name));
      expect(back.kind).toBe(model.kind);
      const a = predictLearned(model, data);
      const b = predictLearned(back, data);
      expect(Array.from(b.X.re)).toEqual(Array.from(a.X.re));
      expect(Array.from(b.score)).toEqual(Array.from(a.score));
      model.net.dispose();
      back.net.dispose();
    }
  });

  it('throws ModelFileNotFoundError / ModelFormatError for missing or corrupt checkpoints', () => {
    expect(() => loadLearnedModel(join(dir, 'nothing'))).toThrow(ModelFileNotFoundError);
    writeFileSync(join(dir, 'proposed', 'model.json'), '{ not json');
    expect(() => loadLearnedModel(join(dir, 'proposed'))).toThrow(ModelFormatError);
    writeFileSync(join(dir, 'proposed', 'model.json'), JSON.stringify({ format: 'other' }));
    expect(() => loadLearnedModel(join(dir, 'proposed'))).toThrow(/not an ft-jadce model/);
  });

  it('refuses absurd or inconsistent hyperparameters before building anything', () => {
    const d = join(dir, 'bounds');
    const net = listaGs({ S, T: 2 });
    saveLearnedModel(d, { kind: 'lista-gs', net });
    net.dispose();
    const good = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
    const cases: [string, (c: Record<string, unknown>, j: Record<string, unknown>) => void, RegExp][] = [
      ['T = 1e8', (c) => (c.T = 1e8), /config\.T must be an integer in \[1, 1000\], got 100000000/],
      ['T = 3 (weights hold 2)', (c) => (c.T = 3), /config\.T = 3 but weights\.npz holds weights for 2 layer/],
      ['T = 1.5', (c) => (c.T = 1.5), /config\.T must be an integer/],
      ['N = -4', (c) => (c.N = -4), /config\.N must be an integer in \[1, 16384\]/],
      ['N = 1e9', (c) => (c.N = 1e9), /config\.N must be an integer/],
      ['L mismatch', (c) => (c.L = 5), /pilot matrix S_re .* declares \[L=5, N=16\]/],
      ['params', (c) => Object.assign(c, { variant: 'lista', N: 16_000, T: 1000 }), /implies .* parameters/],
      ['variant', (c) => (c.variant = 'evil'), /config\.variant must be/],
      ['kind', (_c, j) => (j.kind = 'other'), /kind must be one of/],
    ];
    for (const [name, f, re] of cases) {
      const j = structuredClone(good);
      f(j.config, j);
      writeFileSync(join(d, 'model.json'), JSON.stringify(j));
      const t0 = performance.now();
      expect(() => loadLearnedModel(d), name).toThrow(ModelFormatError);
      expect(() => loadLearnedModel(d), name).toThrow(re);
      expect(performance.now() - t0, name).toBeLessThan(1000);
    }
    writeFileSync(join(d, 'model.json'), JSON.stringify(good));
    loadLearnedModel(d).net.dispose();
  });

  it('weights.npz that is not a regular file is refused without reading it', () => {
    const d = join(dir, 'zero');
    const net = listaGs({ S, T: 2 });
    saveLearnedModel(d, { kind: 'lista-gs', net });
    net.dispose();
    rmSync(join(d, 'weights.npz'));
    symlinkSync('/dev/zero', join(d, 'weights.npz'));
    expect(() => loadLearnedModel(d)).toThrow(UnsafePathError);
  });
});
