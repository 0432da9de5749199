/**
 * Gradient-masking checks (`gradientMaskingChecks`, and `evaluateRobustness(…, { sanity })`): they pass on an honest
 * linear model, with the documented checks and ε grid, and flag a model whose gradients are masked (inputs quantised
 * by round(), whose gradient is 0), where a very large ε no longer drives the accuracy to 0.
 */
import '@tensorflow/tfjs-backend-cpu';
import type { Module } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateRobustness } from './evaluate-robustness.js';
import { gradientMaskingChecks } from './gradient-masking.js';
import { PGD } from './pgd.js';
import { linearModel, randomImages, randomLabels, randomMatrix } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shape: [number, number, number] = [4, 4, 1];
const w = randomMatrix(16, 2, 41, 0.5);
const b = [0.3, -0.3];

describe('gradient-masking checks', () => {
  it('pass on an honest model (linear)', async () => {
    const model = linearModel(w, b, shape);
    const x = randomImages(40, shape, 6, { lo: 0.1, hi: 0.9 });
    const y = randomLabels(40, 2, 6);
    const r = await evaluateRobustness(
      model,
      { x, y },
      {
        attacks: [new PGD(model, { eps: 0.05, steps: 10 })],
        sanity: { steps: 10 },
      },
    );
    const s = r.sanity!;
    expect(s.checks.map((c) => c.name)).toEqual([
      'ε = 0 gives clean accuracy',
      'robust accuracy non-increasing in ε',
      'accuracy ≈ 0 at ε = 1',
      'PGD accuracy ≤ FGSM accuracy',
      'FGSM accuracy ≤ clean accuracy',
      'robust accuracy non-increasing in PGD steps',
    ]);
    expect(s.checks.filter((c) => !c.passed)).toEqual([]);
    expect(s.passed).toBe(true);
    expect(s.curve.map((c) => c.eps)).toEqual([0, 0.025, 0.05, 0.1, 1]);
    expect(s.curve[4].accuracy).toBe(0);
    tf.dispose([x, y]);
  });

  it('flag a model with masked gradients (inputs quantised by round(), whose gradient is 0)', async () => {
    const lin = linearModel(w, b, shape);
    const masked: Module = {
      apply: (x) => lin.apply(tf.div(tf.round(tf.mul(x, 4)), 4)) as tf.Tensor,
      trainableVariables: [],
      nonTrainableVariables: [],
      getConfig: () => ({}),
    };
    const x = randomImages(40, shape, 7, { lo: 0.1, hi: 0.9 });
    const y = randomLabels(40, 2, 7);
    const s = await gradientMaskingChecks(masked, { x, y }, { eps: 0.05, steps: 5 });
    const large = s.checks.find((c) => c.name === 'accuracy ≈ 0 at ε = 1')!;
    expect(large.passed).toBe(false);
    expect(s.passed).toBe(false);
    expect(s.curve[s.curve.length - 1].accuracy).toBeGreaterThan(0.3);
    tf.dispose([x, y]);
  });
});

describe('gradientMaskingChecks options', () => {
  it('rejects a non-positive ε, a bad ε grid and steps < 1, naming the parameter', async () => {
    const model = linearModel(w, b, shape);
    const x = randomImages(4, shape, 8, { lo: 0.1, hi: 0.9 });
    const y = randomLabels(4, 2, 8);
    await expect(gradientMaskingChecks(model, { x, y }, { eps: 0 })).rejects.toThrow(
      /gradientMaskingChecks: eps must be a finite number > 0, got 0/,
    );
    await expect(gradientMaskingChecks(model, { x, y }, { eps: 0.1, steps: 0 })).rejects.toThrow(
      /gradientMaskingChecks: steps must be an integer >= 1/,
    );
    await expect(gradientMaskingChecks(model, { x, y }, { eps: 0.1, largeEps: -1 })).rejects.toThrow(/largeEps/);
    tf.dispose([x, y]);
  });
});
