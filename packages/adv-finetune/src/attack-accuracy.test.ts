/**
 * attackAccuracy against closed forms on a two-class linear model z = Wx + b with interior inputs, where FGSM is
 * the exact worst case: an example is robust at ε ⇔ its margin d·x + (b_y − b_o) exceeds ε‖d‖₁ (d = w_y − w_o).
 * Checks the clean and robust accuracies, the per-example worst case, duplicate attack names, the pass accounting
 * of the 'full' and 'cascade' modes, and `dataSize`.
 */
import '@tensorflow/tfjs-backend-cpu';
import { ArrayImageDataset, createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { attackAccuracy, dataSize } from './attack-accuracy.js';
import { FGSM } from './fgsm.js';
import { PassCounter } from './pass-counter.js';
import { linearModel, randomImages, randomLabels, randomMatrix } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shape: [number, number, number] = [4, 4, 1];
const D = 16;
const w = randomMatrix(D, 2, 43, 0.5);
const b = [0.2, -0.2];

/** Per example: correct clean, and robust at each ε (margin > ε‖d‖₁), in float64. */
function analytic(x: ArrayLike<number>, y: ArrayLike<number>, epss: number[]) {
  const clean: boolean[] = [];
  const robust: boolean[][] = epss.map(() => []);
  for (let n = 0; n < y.length; n++) {
    const yn = y[n];
    const d = w.map((r) => r[yn] - r[1 - yn]);
    const m = d.reduce((s, v, i) => s + v * x[n * D + i], 0) + (b[yn] - b[1 - yn]);
    const l1 = d.reduce((s, v) => s + Math.abs(v), 0);
    clean.push(m > 0);
    epss.forEach((e, k) => {
      robust[k].push(m - e * l1 > 0);
    });
  }
  return { clean, robust };
}
const frac = (v: boolean[]) => v.filter(Boolean).length / v.length;

describe('attackAccuracy', () => {
  it("'full': exact clean and robust accuracy, worst case, duplicate names, one pass per clean-correct example", async () => {
    const model = linearModel(w, b, shape);
    const x = randomImages(50, shape, 1, { lo: 0.2, hi: 0.8 });
    const y = randomLabels(50, 2, 1);
    const eps = [0.03, 0.08];
    const want = analytic(x.dataSync(), y.dataSync(), eps);
    expect(frac(want.robust[1])).toBeGreaterThan(0.05);
    expect(frac(want.robust[1])).toBeLessThan(frac(want.robust[0]));
    const counter = new PassCounter();
    const r = await attackAccuracy(
      model,
      { x, y },
      {
        attacks: [new FGSM(model, { eps: eps[0] }), new FGSM(model, { eps: eps[1] }), new FGSM(model, { eps: eps[1] })],
        batchSize: 16,
        counter,
        rng: createRng(0),
      },
    );
    expect(r.n).toBe(50);
    expect(r.clean).toBeCloseTo(frac(want.clean), 12);
    expect(Object.keys(r.perAttack)).toEqual(['FGSM (L∞, ε=0.03)', 'FGSM (L∞, ε=0.08)', 'FGSM (L∞, ε=0.08) #2']);
    expect(Object.values(r.perAttack)).toEqual([
      expect.closeTo(frac(want.robust[0]), 12),
      expect.closeTo(frac(want.robust[1]), 12),
      expect.closeTo(frac(want.robust[1]), 12),
    ]);
    // robust at 0.08 implies robust at 0.03, so the worst case is the larger budget's accuracy
    expect(r.worstCase).toBeCloseTo(frac(want.robust[1]), 12);
    const nClean = want.clean.filter(Boolean).length;
    expect(r.passes).toBe(3 * nClean);
    expect(counter.evalAttack).toBe(r.passes);
    tf.dispose([x, y]);
  });

  it("'cascade': each attack runs only on the survivors of the previous ones; same worst case", async () => {
    const model = linearModel(w, b, shape);
    const x = randomImages(40, shape, 2, { lo: 0.2, hi: 0.8 });
    const y = randomLabels(40, 2, 2);
    const want = analytic(x.dataSync(), y.dataSync(), [0.03, 0.08]);
    expect(frac(want.robust[1])).toBeGreaterThan(0);
    expect(frac(want.robust[1])).toBeLessThan(frac(want.robust[0]));
    const attacks = [new FGSM(model, { eps: 0.03 }), new FGSM(model, { eps: 0.08 })];
    const r = await attackAccuracy(model, { x, y }, { attacks, mode: 'cascade', rng: createRng(1) });
    expect(r.worstCase).toBeCloseTo(frac(want.robust[1]), 12);
    expect(r.passes).toBe(want.clean.filter(Boolean).length + want.robust[0].filter(Boolean).length);
    tf.dispose([x, y]);
  });

  it('dataSize counts tensors and datasets after limit', () => {
    const x = randomImages(7, shape, 3);
    const y = randomLabels(7, 2, 3);
    const ds = new ArrayImageDataset({
      images: x.dataSync() as Float32Array,
      labels: Int32Array.from(y.dataSync()),
      shape,
      numClasses: 2,
    });
    expect(dataSize({ x, y })).toBe(7);
    expect(dataSize({ x, y }, 3)).toBe(3);
    expect(dataSize(ds)).toBe(7);
    expect(dataSize(ds, 100)).toBe(7);
    tf.dispose([x, y]);
  });
});
