import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FeatureAidedJadceNet } from './feature-aided-net.js';
import { makePilots } from './simulate.js';
import { nmseLoss, trainLayerwise } from './train-layerwise.js';
import { makeSamplePool, poolBatch } from './training-data.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Directional finite-difference check of d loss / d v for every variable (central differences, float32). */
function fdCheck(vars: tf.Variable[], loss: () => tf.Scalar, seed: number, h = 1e-2) {
  const rng = createRng(seed);
  const { grads } = tf.variableGrads(loss, vars);
  const results: { name: string; analytic: number; numeric: number }[] = [];
  for (const v of vars) {
    const dir = tf.tensor(
      Float32Array.from({ length: v.size }, () => rng.normal()),
      v.shape,
    );
    const analytic = tf.sum(tf.mul(grads[v.name], dir)).dataSync()[0];
    const orig = v.clone();
    v.assign(tf.add(orig, tf.mul(dir, h)));
    const fp = tf.tidy(() => loss().dataSync()[0]);
    v.assign(tf.sub(orig, tf.mul(dir, h)));
    const fm = tf.tidy(() => loss().dataSync()[0]);
    v.assign(orig);
    results.push({ name: v.name, analytic, numeric: (fp - fm) / (2 * h) });
    tf.dispose([dir, orig]);
  }
  tf.dispose(Object.values(grads));
  return results;
}

describe('FeatureAidedJadceNet (reconstruction)', () => {
  const S = makePilots(6, 12, createRng(1));
  const pool = makeSamplePool({ S, M: 4, activity: 0.2, snrDb: 10, count: 16, rank: 2, rng: createRng(2) });

  for (const [J, damping, tauUpdate] of [
    [2, 'perLayer', 'em'],
    [2, 'shared', 'residual'],
    [0, 'perLayer', 'em'],
  ] as const) {
    it(`passes a finite-difference gradient check (J=${J}, damping ${damping}, tau ${tauUpdate})`, () => {
      const net = new FeatureAidedJadceNet({ S, r: 2, T: 2, J, damping, tauUpdate, prior: { lambda: 0.2, phi: 1.5 } });
      const b = poolBatch(pool, [0, 1, 2, 3]);
      const rng = createRng(3);
      const C = tf.tensor(
        Float32Array.from({ length: 24 * 4 * 2 }, () => rng.normal()),
        [24, 4, 2],
      );
      const D = tf.tensor(
        Float32Array.from({ length: 12 * 4 }, () => rng.normal()),
        [12, 4],
      );
      // a loss touching every output: last X, last π, and NMSE of the first layer
      const loss = () =>
        tf.tidy(() => {
          const out = net.run(b.Yr);
          return tf.addN([
            tf.sum(tf.mul(out.X[1], C)),
            tf.sum(tf.mul(out.pi[1], D)),
            nmseLoss(out.X[0], b.Xr),
          ]) as tf.Scalar;
        });
      const res = fdCheck(net.trainableVariables, loss, 4);
      expect(res.length).toBe(net.trainableVariables.length);
      for (const r of res) {
        const scale = Math.max(Math.abs(r.analytic), Math.abs(r.numeric), 1e-3);
        expect(Math.abs(r.analytic - r.numeric) / scale, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThan(0.03);
      }
      net.dispose();
      tf.dispose([C, D, b.Yr, b.Xr, b.active]);
    });
  }

  it('learns: layer-wise training lowers the NMSE, keeps the tensor count flat, and weights round-trip', async () => {
    const S2 = makePilots(10, 30, createRng(5));
    const train = makeSamplePool({ S: S2, M: 8, activity: 0.1, snrDb: 15, count: 256, rank: 4, rng: createRng(6) });
    const test = makeSamplePool({ S: S2, M: 8, activity: 0.1, snrDb: 15, count: 128, rank: 4, rng: createRng(7) });
    const net = new FeatureAidedJadceNet({ S: S2, r: 4, T: 3, J: 2, prior: { lambda: 0.1, phi: 2 } });
    const evalNmse = () =>
      tf.tidy(() => {
        const b = poolBatch(
          test,
          Array.from({ length: 128 }, (_, i) => i),
        );
        return 10 * Math.log10(nmseLoss(net.run(b.Yr).X[2], b.Xr).dataSync()[0]);
      });
    const before = evalNmse();
    const counts: number[] = [];
    await trainLayerwise(net, train, {
      stepsPerStage: 8,
      batch: 32,
      lr: 3e-3,
      rng: createRng(8),
      onStage: () => counts.push(tf.memory().numTensors),
    });
    const after = evalNmse();
    expect(after).toBeLessThan(before - 1);
    expect(new Set(counts).size).toBe(1); // no tensor leak across stages
    const clone = new FeatureAidedJadceNet({ S: S2, r: 4, T: 3, J: 2 });
    clone.setWeights(net.weights());
    const same = tf.tidy(() => {
      const b = poolBatch(test, [0, 1, 2]);
      return tf.max(tf.abs(tf.sub(net.apply(b.Yr), clone.apply(b.Yr)))).dataSync()[0];
    });
    expect(same).toBe(0);
    expect(net.getConfig()).toMatchObject({ className: 'FeatureAidedJadceNet', N: 30, L: 10, r: 4, T: 3, J: 2 });
    net.dispose();
    clone.dispose();
  });

  it('rejects L > N and inputs of the wrong shape', () => {
    expect(() => new FeatureAidedJadceNet({ S: makePilots(14, 12, createRng(1)), r: 2 })).toThrow(/assumes L ≤ N/);
    const net = new FeatureAidedJadceNet({ S, r: 2, T: 1 });
    expect(() => net.run(tf.zeros([12, 2, 3]) as tf.Tensor3D)).toThrow(/expected input \[2L=12, B, r=2\]/);
    net.dispose();
  });
});
