import { describe, expect, it } from 'vitest';
import { ArrayImageDataset } from './dataset.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { formatDatasetSummary, inspectDataset } from './inspect.js';

describe('inspectDataset', () => {
  it('matches closed-form statistics on a toy RGB set', () => {
    // 2 images of 1×2×3: channel c of image i at pixel p = (i + p + c) / 10
    const images = Float32Array.from([0, 0.1, 0.2, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.2, 0.3, 0.4]);
    const ds = new ArrayImageDataset({ images, labels: Int32Array.from([1, 1]), shape: [1, 2, 3], numClasses: 3 });
    const s = inspectDataset(ds);
    expect(s.classCounts).toEqual([0, 2, 0]);
    // channel 0 values 0, .1, .1, .2 → mean .1, var .005
    expect(s.mean[0]).toBeCloseTo(0.1, 6);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(0.005), 6);
    expect(s.mean[2]).toBeCloseTo(0.3, 6);
    // all 12 values: mean .2, var = mean of squares − .04
    const all = Array.from(images);
    const mu = all.reduce((a, b) => a + b, 0) / 12;
    const sd = Math.sqrt(all.reduce((a, b) => a + (b - mu) ** 2, 0) / 12);
    expect(s.meanAll).toBeCloseTo(mu, 6);
    expect(s.stdAll).toBeCloseTo(sd, 6);
    expect([s.min, s.max]).toEqual([0, Math.fround(0.4)]);
    expect(formatDatasetSummary(s)).toMatch(/shape: 1×2×3/);
  });

  it('reproduces the known Fashion-MNIST test statistics (numpy: mean 0.286849, std 0.352444)', async () => {
    const s = inspectDataset(await loadFashionMnist({ split: 'test' }));
    expect(s.size).toBe(10000);
    expect(s.classCounts).toEqual(new Array(10).fill(1000));
    expect(s.mean[0]).toBeCloseTo(0.28684928, 6);
    expect(s.std[0]).toBeCloseTo(0.35244415, 6);
    expect(formatDatasetSummary(s)).toMatch(/9 Ankle boot: 1000/);
  });
});
