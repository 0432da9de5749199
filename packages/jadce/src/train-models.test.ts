import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makePilots } from './simulate.js';
import { trainJadceModels } from './train-models.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('trainJadceModels', () => {
  const S = makePilots(10, 24, createRng(2));
  const options = {
    S,
    M: 4,
    eps: 0.1,
    snrDb: 15,
    methods: ['lista-gs', 'proposed-noem'] as const,
    T: 2,
    J: 1,
    samples: 48,
    stepsPerStage: 2,
    batch: 16,
  };

  it('trains each method layer by layer, records what it was trained on, and is deterministic per seed', async () => {
    const a = await trainJadceModels({ ...options, rng: createRng(3) });
    const b = await trainJadceModels({ ...options, rng: createRng(3) });
    expect(Object.keys(a.models)).toEqual(['lista-gs', 'proposed-noem']);
    expect(a.models['lista-gs']?.kind).toBe('lista-gs');
    expect(a.models['proposed-noem']?.kind).toBe('proposed');
    expect(a.models['lista-gs']?.meta).toMatchObject({
      method: 'lista-gs',
      trainedOn: { M: [4], eps: 0.1, snrDb: 15, samples: 48, L: 10, N: 24 },
      T: 2,
      J: 0,
      rank: null,
    });
    expect(a.models['proposed-noem']?.meta).toMatchObject({ J: 0, rank: 4 });
    for (const m of ['lista-gs', 'proposed-noem'] as const) {
      const s = a.stats[m]!;
      expect(s.steps).toBeGreaterThan(0);
      expect(s.stages.length).toBeGreaterThanOrEqual(2); // at least one stage per layer
      expect(Number.isFinite(s.finalLoss)).toBe(true);
      expect(s.finalLoss).toBeLessThan(1); // below the NMSE of the all-zero estimate (0 dB)
      expect(b.stats[m]!.finalLoss).toBe(s.finalLoss);
    }
    for (const m of Object.values(a.models)) m?.net.dispose();
    for (const m of Object.values(b.models)) m?.net.dispose();
  });

  it('refuses an unknown method', async () => {
    await expect(trainJadceModels({ ...options, methods: ['lasso' as 'lista-gs'], rng: createRng(1) })).rejects.toThrow(
      /unknown method 'lasso'/,
    );
  });
});
