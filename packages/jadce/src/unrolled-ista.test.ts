import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CMat, cmat, cmatmulAH } from './host-complex.js';
import { makePilots } from './simulate.js';
import { nmseLoss, trainLayerwise } from './train-layerwise.js';
import { makeSamplePool, poolBatch } from './training-data.js';
import { alista, alistaGs, analyticWeight, lista, listaCp, listaCpSs, listaGs } from './unrolled-ista.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** ‖Sᴴ w_n‖² summed over columns and the constraint residual max |s_nᴴ w_n − 1|. */
function alistaObjective(W: CMat, S: CMat) {
  const G = cmatmulAH(W, S); // N × N: (WᴴS)
  const N = S.cols;
  let obj = 0;
  let viol = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const re = G.re[i * N + j];
      const im = G.im[i * N + j];
      if (i === j) viol = Math.max(viol, Math.hypot(re - 1, im));
      else obj += re * re + im * im;
    }
  }
  return { obj, viol };
}

describe('analyticWeight (ALISTA)', () => {
  it('satisfies diag(WᴴS) = 1 and matches projected gradient descent on min ‖WᴴS‖_F', () => {
    const S = makePilots(6, 14, createRng(1));
    const W = analyticWeight(S);
    const a = alistaObjective(W, S);
    expect(a.viol).toBeLessThan(1e-10);
    // projected gradient: w ← w − η·S Sᴴ w, then project onto s_nᴴ w = 1: w ← w + s_n(1 − s_nᴴw)/‖s_n‖²
    const L = 6;
    const N = 14;
    const V = cmat(L, N, Float64Array.from(S.re), Float64Array.from(S.im));
    for (let it = 0; it < 3000; it++) {
      for (let n = 0; n < N; n++) {
        // g = S Sᴴ w (L), computed column-wise
        const sh = new Float64Array(2 * N);
        for (let k = 0; k < N; k++) {
          let re = 0;
          let im = 0;
          for (let l = 0; l < L; l++) {
            const sr = S.re[l * N + k];
            const si = -S.im[l * N + k];
            re += sr * V.re[l * N + n] - si * V.im[l * N + n];
            im += sr * V.im[l * N + n] + si * V.re[l * N + n];
          }
          sh[2 * k] = re;
          sh[2 * k + 1] = im;
        }
        for (let l = 0; l < L; l++) {
          let gr = 0;
          let gi = 0;
          for (let k = 0; k < N; k++) {
            const sr = S.re[l * N + k];
            const si = S.im[l * N + k];
            gr += sr * sh[2 * k] - si * sh[2 * k + 1];
            gi += sr * sh[2 * k + 1] + si * sh[2 * k];
          }
          V.re[l * N + n] -= 0.05 * gr;
          V.im[l * N + n] -= 0.05 * gi;
        }
        let cr = 0;
        let ci = 0;
        let s2 = 0;
        for (let l = 0; l < L; l++) {
          const sr = S.re[l * N + n];
          const si = S.im[l * N + n];
          cr += sr * V.re[l * N + n] + si * V.im[l * N + n];
          ci += sr * V.im[l * N + n] - si * V.re[l * N + n];
          s2 += sr * sr + si * si;
        }
        for (let l = 0; l < L; l++) {
          const sr = S.re[l * N + n];
          const si = S.im[l * N + n];
          // w += s (1 − c)/‖s‖², with 1 − c = (1 − cr) − i ci
          V.re[l * N + n] += (sr * (1 - cr) + si * ci) / s2;
          V.im[l * N + n] += (si * (1 - cr) - sr * ci) / s2;
        }
      }
    }
    const p = alistaObjective(V, S);
    expect(p.viol).toBeLessThan(1e-8);
    expect(Math.abs(p.obj - a.obj) / a.obj).toBeLessThan(1e-4);
    expect(() => analyticWeight(makePilots(15, 14, createRng(2)))).toThrow(/L ≤ N/);
  });
});

describe('UnrolledIsta variants', () => {
  const S = makePilots(6, 12, createRng(3));
  const pool = makeSamplePool({ S, M: 3, activity: 0.2, snrDb: 15, count: 8, rng: createRng(4) });

  it('every variant runs and has gradients that pass a finite-difference check on its thresholds', () => {
    for (const make of [lista, listaCp, listaCpSs, alista, listaGs, alistaGs]) {
      const net = make({ S, T: 3, theta0: 0.1 });
      const b = poolBatch(pool, [0, 1, 2, 3]);
      const loss = () => tf.tidy(() => nmseLoss(net.run(b.Yr).X[2], b.Xr));
      const vars = net.trainableVariables;
      const { grads } = tf.variableGrads(loss, vars);
      for (const v of vars.filter((x) => /theta|gamma/.test(x.name))) {
        const g = grads[v.name].dataSync()[0];
        const h = 1e-3;
        const orig = v.dataSync()[0];
        v.assign(tf.scalar(orig + h));
        const fp = loss().dataSync()[0];
        v.assign(tf.scalar(orig - h));
        const fm = loss().dataSync()[0];
        v.assign(tf.scalar(orig));
        const num = (fp - fm) / (2 * h);
        // soft thresholds have kinks: an entry crossing ±θ inside the ±h step biases the difference, hence 10 %
        expect(Math.abs(g - num) / Math.max(Math.abs(g), Math.abs(num), 1e-3), `${v.name}`).toBeLessThan(0.1);
      }
      tf.dispose([...Object.values(grads), b.Yr, b.Xr, b.active]);
      net.dispose();
    }
  });

  it('LISTA-GS and ALISTA-GS learn: layer-wise training lowers the NMSE', async () => {
    const S2 = makePilots(10, 30, createRng(5));
    const train = makeSamplePool({ S: S2, M: 4, activity: 0.1, snrDb: 20, count: 256, rng: createRng(6) });
    const test = makeSamplePool({ S: S2, M: 4, activity: 0.1, snrDb: 20, count: 128, rng: createRng(7) });
    for (const make of [listaGs, alistaGs]) {
      const net = make({ S: S2, T: 3 });
      const evalNmse = () =>
        tf.tidy(() => {
          const b = poolBatch(
            test,
            Array.from({ length: 128 }, (_, i) => i),
          );
          return 10 * Math.log10(nmseLoss(net.run(b.Yr).X[2], b.Xr).dataSync()[0]);
        });
      const before = evalNmse();
      await trainLayerwise(net, train, { stepsPerStage: 10, batch: 32, lr: 1e-2, rng: createRng(8) });
      expect(evalNmse()).toBeLessThan(before - 1);
      net.dispose();
    }
  });
});
