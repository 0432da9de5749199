import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng, ModelFileNotFoundError, ModelFormatError } from '@ft/core';
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
});
