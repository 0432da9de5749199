/**
 * Properties every attack must have, on a small seeded conv net with BatchNorm (8×8 inputs, 3 classes):
 * - after every step (PGD/APGD run with 1..K steps reproduce the iterates) ‖x' − x‖ ≤ ε + 1e-6 in the attack's norm
 *   and x' ∈ [0, 1], including inputs with pixels exactly at 0 and 1 and ε up to 1;
 * - ε = 0 returns x; the tensor count is flat across attacks; the result is deterministic in the rng;
 * - restarts never lose a success; targeted attacks hit their targets; BN train mode updates moving statistics.
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { APGD } from './apgd.js';
import type { Attack } from './attack.js';
import { FGSM } from './fgsm.js';
import { PassCounter } from './pass-counter.js';
import { PGD, PGDL2 } from './pgd.js';
import {
  l2Dist,
  linearModel,
  maxAbsDiff,
  randomImages,
  randomLabels,
  randomMatrix,
  tinyConvNet,
} from './test-helpers.js';

let model: tfl.LayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  model = tinyConvNet({ classes: 3, seed: 1 });
});

const shape: [number, number, number] = [8, 8, 1];

function inBounds(adv: tf.Tensor4D, x: tf.Tensor4D, eps: number, norm: 'Linf' | 'L2') {
  const [mn, mx] = tf.tidy(() => [tf.min(adv).dataSync()[0], tf.max(adv).dataSync()[0]]);
  expect(mn).toBeGreaterThanOrEqual(0);
  expect(mx).toBeLessThanOrEqual(1);
  if (norm === 'Linf') expect(maxAbsDiff(adv, x)).toBeLessThanOrEqual(eps + 1e-6);
  else for (const d of l2Dist(adv, x)) expect(d).toBeLessThanOrEqual(eps + 1e-5);
}

describe('ε-ball and [0, 1] after every step', () => {
  const makers: Array<[string, 'Linf' | 'L2', (eps: number, steps: number) => Attack]> = [
    ['FGSM', 'Linf', (eps) => new FGSM(model, { eps })],
    ['FGSM-RS', 'Linf', (eps) => new FGSM(model, { eps, randomStart: true })],
    ['PGD', 'Linf', (eps, steps) => new PGD(model, { eps, alpha: eps / 3, steps, restarts: 2 })],
    ['PGD targeted', 'Linf', (eps, steps) => new PGD(model, { eps, alpha: eps / 3, steps, targeted: true })],
    ['PGDL2', 'L2', (eps, steps) => new PGDL2(model, { eps: eps * 4, alpha: eps, steps })],
    ['APGD', 'Linf', (eps, steps) => new APGD(model, { eps, steps })],
    ['APGD-DLR', 'Linf', (eps, steps) => new APGD(model, { eps, steps, loss: 'dlr' })],
    ['APGD-L2', 'L2', (eps, steps) => new APGD(model, { eps: eps * 4, steps, norm: 'L2' })],
    ['APGD targeted', 'Linf', (eps, steps) => new APGD(model, { eps, steps, targeted: true })],
  ];
  for (const [name, norm, make] of makers) {
    it(name, () => {
      const x = randomImages(6, shape, 11, { borders: true });
      const y = randomLabels(6, 3, 11);
      for (const eps of [0.03, 0.2, 1]) {
        for (const steps of [1, 2, 3, 6]) {
          const atk = make(eps, steps);
          const adv = atk.run(x, y, createRng(`run-${steps}`));
          inBounds(adv, x, atk.eps, norm);
          adv.dispose();
          if (name.startsWith('FGSM')) break;
        }
      }
      tf.dispose([x, y]);
    });
  }
});

describe('basic behaviour', () => {
  it('ε = 0 returns x exactly, for every attack', () => {
    const x = randomImages(4, shape, 12, { borders: true });
    const y = randomLabels(4, 3, 12);
    for (const atk of [
      new FGSM(model, { eps: 0 }),
      new FGSM(model, { eps: 0, randomStart: true }),
      new PGD(model, { eps: 0, steps: 3 }),
      new PGDL2(model, { eps: 0, steps: 3 }),
      new APGD(model, { eps: 0, steps: 5 }),
    ]) {
      const adv = atk.run(x, y);
      expect(maxAbsDiff(adv, x)).toBe(0);
      adv.dispose();
    }
    tf.dispose([x, y]);
  });

  it('the tensor count is flat across attacks (tf.tidy per step)', () => {
    const x = randomImages(5, shape, 13);
    const y = randomLabels(5, 3, 13);
    const attacks: Attack[] = [
      new FGSM(model, { eps: 0.1, randomStart: true }),
      new PGD(model, { eps: 0.1, steps: 4, restarts: 3 }),
      new PGDL2(model, { eps: 0.5, steps: 4, restarts: 2 }),
      new APGD(model, { eps: 0.1, steps: 12, restarts: 2 }),
      new PGD(model, { eps: 0.1, steps: 3, targeted: true, targetLabels: 'least-likely' }),
      new PGD(model, { eps: 0.1, steps: 3, bnMode: 'train' }),
    ];
    for (const atk of attacks) atk.run(x, y).dispose(); // warm-up (lazy weight/BN tensors)
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) for (const atk of attacks) atk.run(x, y).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('is deterministic in the rng and differs across rng streams', () => {
    const x = randomImages(4, shape, 14);
    const y = randomLabels(4, 3, 14);
    const atk = new PGD(model, { eps: 0.1, steps: 2 });
    const a = atk.run(x, y, createRng(1));
    const b = atk.run(x, y, createRng(1));
    const c = atk.run(x, y, createRng(2));
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
    tf.dispose([x, y, a, b, c]);
  });

  it('restarts never lose a success: the 1-restart successes are a subset of the 3-restart ones', () => {
    const x = randomImages(24, shape, 15);
    const y = randomLabels(24, 3, 15);
    const wrong = (adv: tf.Tensor4D) =>
      tf.tidy(() => Array.from(tf.notEqual(tf.argMax(model.predict(adv) as tf.Tensor, 1), y).dataSync()));
    const one = new PGD(model, { eps: 0.05, alpha: 0.02, steps: 3, restarts: 1 }).run(x, y, createRng(5));
    const three = new PGD(model, { eps: 0.05, alpha: 0.02, steps: 3, restarts: 3 }).run(x, y, createRng(5));
    const w1 = wrong(one);
    const w3 = wrong(three);
    w1.forEach((v, i) => {
      if (v) expect(w3[i]).toBe(1);
    });
    expect(w3.reduce((s, v) => s + v, 0)).toBeGreaterThanOrEqual(w1.reduce((s, v) => s + v, 0));
    tf.dispose([x, y, one, three]);
  });

  it('targeted PGD reaches the given targets with a large budget', () => {
    const w = randomMatrix(64, 4, 3);
    const lin = linearModel(w, [0, 0, 0, 0], shape);
    const x = randomImages(8, shape, 16);
    const y = randomLabels(8, 4, 16);
    const targets = tf.tensor1d(
      Array.from(y.dataSync()).map((v) => (v + 2) % 4),
      'int32',
    );
    const adv = new PGD(lin, { eps: 1, alpha: 0.1, steps: 30, targeted: true }).run(x, y, { targets });
    const pred = tf.tidy(() => Array.from(tf.argMax(lin.predict(adv) as tf.Tensor, 1).dataSync()));
    expect(pred).toEqual(Array.from(targets.dataSync()));
    tf.dispose([x, y, targets, adv]);
  });

  it('random targets are never the true label', () => {
    const x = randomImages(16, shape, 17);
    const y = randomLabels(16, 3, 17);
    const seen: number[] = [];
    const atk = new PGD(model, {
      eps: 0.05,
      steps: 1,
      targeted: true,
      targetLabels: (_x, yy, c, rng) => {
        const yv = yy.dataSync();
        const t = Array.from(yv, (v) => (v + 1 + rng.int(c - 1)) % c);
        seen.push(...t.map((v, i) => (v === yv[i] ? 1 : 0)));
        return tf.tensor1d(t, 'int32');
      },
    });
    atk.run(x, y).dispose();
    expect(seen.reduce((s, v) => s + v, 0)).toBe(0);
    tf.dispose([x, y]);
  });

  it("bnMode 'train' updates the BN moving statistics K times; 'eval' leaves them", () => {
    const m = tinyConvNet({ classes: 3, seed: 2 });
    const bn = m.layers[1];
    const stats = () => bn.getWeights()[2].dataSync()[0];
    const x = randomImages(6, shape, 18);
    const y = randomLabels(6, 3, 18);
    const s0 = stats();
    new PGD(m, { eps: 0.1, steps: 3 }).run(x, y).dispose();
    expect(stats()).toBe(s0);
    new PGD(m, { eps: 0.1, steps: 3, bnMode: 'train' }).run(x, y).dispose();
    expect(stats()).not.toBe(s0);
    tf.dispose([x, y]);
  });

  it('counts passes: steps × restarts per example, plus forward-only passes for restart selection', () => {
    const x = randomImages(5, shape, 19);
    const y = randomLabels(5, 3, 19);
    const counter = new PassCounter();
    const pgd = new PGD(model, { eps: 0.1, steps: 4, restarts: 3, counter });
    expect(pgd.passesPerExample()).toBe(12);
    pgd.run(x, y).dispose();
    expect(counter.evalAttack).toBe(60);
    expect(counter.forwardOnly).toBe(15);
    const apgd = new APGD(model, { eps: 0.1, steps: 10 });
    expect(apgd.passesPerExample()).toBe(11);
    apgd.run(x, y, { counter, countAs: 'adversarialAttack' }).dispose();
    expect(counter.adversarialAttack).toBe(55);
    new FGSM(model, { eps: 0.1 }).run(x, y, { counter }).dispose();
    expect(counter.evalAttack).toBe(65);
    tf.dispose([x, y]);
  });

  it('withOptions copies an attack and keeps α/ε', () => {
    const p = new PGD(model, { eps: 0.1, alpha: 0.025, steps: 7, restarts: 2 });
    const q = p.withOptions({ eps: 0.2 });
    expect([q.eps, q.steps, q.restarts]).toEqual([0.2, 7, 2]);
    expect(q.alpha).toBeCloseTo(0.05, 12);
    expect(p.name).toBe('PGD-7 (L∞, ε=0.1, α=0.025, 2 restarts)');
    const a = new APGD(model, { eps: 0.1 }).withOptions({ steps: 5 });
    expect(a.name).toBe('APGD-CE-5 (L∞, ε=0.1)');
  });
});
