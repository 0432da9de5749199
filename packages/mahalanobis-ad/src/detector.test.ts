import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArrayImageDataset,
  buildBackbone,
  EmptyDatasetError,
  getBnModes,
  InvalidArgumentError,
  ModelFileNotFoundError,
  ModelFormatError,
  ShapeError,
  subset,
  UnsafePathError,
} from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import { toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withInputShape } from './backbone.js';
import { MahalanobisDetector, MissingThresholdError, scoreStatistics } from './detector.js';
import { defaultLevels } from './features.js';
import { tinyBackbone } from './test-helpers.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'ft-mad-det-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const train = toyImages(40, [8, 8, 1], 1);
const test = toyImages(30, [8, 8, 1], 2, 15); // first 15 anomalous (bright centre square)

describe('MahalanobisDetector', () => {
  it('default levels: ResNet-8 → stem, block1..3 (penultimate = GAP of block3 is skipped); cnn4 → block1..4', () => {
    expect(defaultLevels(buildBackbone('resnet8', { inputShape: [8, 8, 1] }).model)).toEqual([
      'stem',
      'block1',
      'block2',
      'block3',
    ]);
    expect(defaultLevels(tinyBackbone())).toEqual(['block1', 'block2', 'block3', 'block4']);
    expect(defaultLevels(buildBackbone('smallCnn', { inputShape: [8, 8, 1], width: 0.25 }).model)).toEqual([
      'block1',
      'block2',
      'penultimate',
    ]);
  });

  it('fits with frozen BN, separates bright-square anomalies, and swapping labels gives 1 − AUROC', async () => {
    const model = tinyBackbone();
    const det = await new MahalanobisDetector(model, { batchSize: 16 }).fit(train);
    expect(Object.values(getBnModes(model)).every((m) => m === 'frozen')).toBe(true);
    const ev = await det.evaluate(test, test.labels);
    expect(ev.imageAUROC).toBeGreaterThan(0.95);
    const flipped = Array.from(test.labels, (y) => 1 - y);
    const ev2 = await det.evaluate(test, flipped);
    expect(ev2.imageAUROC).toBeCloseTo(1 - ev.imageAUROC, 12);
    expect(det.scoreStats?.n).toBe(40);
    expect(det.threshold?.kind).toBe('normal-quantile');
    expect(det.threshold?.value).toBeCloseTo(det.scoreStats?.p99 as number, 12);
  });

  it('streaming with batches of 3 gives the same Gaussians as batches of 64', async () => {
    const a = await new MahalanobisDetector(tinyBackbone(), { batchSize: 3 }).fit(train);
    const b = await new MahalanobisDetector(tinyBackbone(), { batchSize: 64 }).fit(train);
    for (const l of a.levels) {
      const pa = a.gaussian.level(l).precision.data;
      const pb = b.gaussian.level(l).precision.data;
      let num = 0;
      let den = 0;
      for (let i = 0; i < pa.length; i++) {
        num += (pa[i] - pb[i]) ** 2;
        den += pb[i] ** 2;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-9);
    }
  });

  it('save → load scores bit-identically, with thresholds, statistics and segmentation maps', async () => {
    const det = await new MahalanobisDetector(tinyBackbone(), {
      backboneRef: 'test:tiny',
      segmentation: { levels: ['block1', 'block2'], channels: 6, seed: 3 },
    }).fit(train);
    const masks = new Uint8Array(30 * 64);
    for (let i = 0; i < 15; i++) for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) masks[i * 64 + y * 8 + x] = 1;
    const ev = await det.evaluate(test, test.labels, { masks, calibrate: true, source: 'toy test' });
    expect(ev.pixelAUROC).toBeGreaterThan(0.8);
    expect(ev.AUPRO).toBeGreaterThan(0.5);
    expect(det.threshold?.kind).toBe('f1-adaptive');
    expect(det.pixelThreshold?.value).toBe(ev.pixelThreshold);
    const out = join(dir, 'det1');
    await det.save(out);
    const back = await MahalanobisDetector.load(out);
    const s1 = await det.score(test);
    const s2 = await back.score(test);
    expect(Array.from(s2.total)).toEqual(Array.from(s1.total));
    expect(Array.from(s2.maps as Float32Array)).toEqual(Array.from(s1.maps as Float32Array));
    expect(back.threshold).toEqual(det.threshold);
    expect(back.pixelThreshold).toEqual(det.pixelThreshold);
    expect(back.scoreStats).toEqual(det.scoreStats);
    expect(back.backboneRef).toBe('test:tiny');
    expect(Array.from(back.normalize(s2.total))).toEqual(Array.from(det.normalize(s1.total)));
  });

  it('bad input: empty set, one image, wrong size or channels', async () => {
    const det = new MahalanobisDetector(tinyBackbone());
    await expect(det.fit(subset(train, []))).rejects.toThrow(EmptyDatasetError);
    await expect(det.fit(subset(train, [0]))).rejects.toThrow(/single normal image/);
    await expect(det.fit(toyImages(5, [10, 10, 1], 1))).rejects.toThrow(ShapeError);
    await expect(det.fit(toyImages(5, [8, 8, 3], 1))).rejects.toThrow(/images are 8×8×3 .* expects 8×8×1/);
    await expect(det.score(train)).rejects.toThrow(/not fitted/);
    const nan = new ArrayImageDataset({
      images: new Float32Array(4 * 64).fill(Number.NaN),
      labels: new Int32Array(4),
      shape: [8, 8, 1],
    });
    await expect(det.fit(nan)).rejects.toThrow(InvalidArgumentError);
  });

  it('a missing or corrupt detector file is a typed error', async () => {
    const det = await new MahalanobisDetector(tinyBackbone(), {
      segmentation: { levels: ['block2'] },
    }).fit(train);
    await expect(MahalanobisDetector.load(join(dir, 'nope'))).rejects.toThrow(ModelFileNotFoundError);
    const a = join(dir, 'det-a');
    await det.save(a);
    writeFileSync(join(a, 'detector.json'), '{"format": "ft-mahalanobis-ad", "vers');
    await expect(MahalanobisDetector.load(a)).rejects.toThrow(ModelFormatError);
    writeFileSync(join(a, 'detector.json'), JSON.stringify({ format: 'something-else', version: 1 }));
    await expect(MahalanobisDetector.load(a)).rejects.toThrow(/not a version-1 ft-mahalanobis-ad detector/);
    const b = join(dir, 'det-b');
    await det.save(b);
    truncateSync(join(b, 'padim.bin'), 100);
    await expect(MahalanobisDetector.load(b)).rejects.toThrow(/padim.bin is corrupt/);
    const c = join(dir, 'det-c');
    await det.save(c);
    unlinkSync(join(c, 'backbone', 'weights.bin'));
    await expect(MahalanobisDetector.load(c)).rejects.toThrow(ModelFileNotFoundError);
  });

  it('paths in detector.json are confined to the detector folder; declared shapes are checked before reading', async () => {
    const det = await new MahalanobisDetector(tinyBackbone(), { segmentation: { levels: ['block2'] } }).fit(train);
    const d = join(dir, 'det-confined');
    await det.save(d);
    const good = JSON.parse(readFileSync(join(d, 'detector.json'), 'utf8'));
    const outside = join(dir, 'outside-backbone');
    await det.save(join(dir, 'outside-det'));
    symlinkSync(join(dir, 'outside-det', 'backbone'), join(d, 'linked-backbone'));
    const write = (f: (j: typeof good) => void) => {
      const j = structuredClone(good);
      f(j);
      writeFileSync(join(d, 'detector.json'), JSON.stringify(j));
    };
    for (const bdir of ['../outside-det/backbone', join(dir, 'outside-det', 'backbone'), 'linked-backbone', outside]) {
      write((j) => {
        j.backbone.dir = bdir;
      });
      await expect(MahalanobisDetector.load(d), bdir).rejects.toThrow(UnsafePathError);
    }
    for (const file of ['/dev/zero', '../outside-det/padim.bin', '/etc/passwd']) {
      write((j) => {
        j.segmentation.file = file;
      });
      await expect(MahalanobisDetector.load(d), file).rejects.toThrow(UnsafePathError);
    }
    for (const [k, v] of [
      ['height', 1e9],
      ['width', -1],
      ['channels', 'x'],
      ['byteLength', 12],
    ] as const) {
      write((j) => {
        j.segmentation[k] = v;
      });
      await expect(MahalanobisDetector.load(d), k).rejects.toThrow(new RegExp(`segmentation\\.${k}`));
    }
    write((j) => {
      j.levels = ['block2', 'block2'];
    });
    await expect(MahalanobisDetector.load(d)).rejects.toThrow(/levels must be distinct/);
    write((j) => {
      j.batchSize = -3;
    });
    await expect(MahalanobisDetector.load(d)).rejects.toThrow(ModelFormatError);
    write(() => {});
    await expect(MahalanobisDetector.load(d)).resolves.toBeInstanceOf(MahalanobisDetector);
  });

  it('scoreStatistics: quantiles by linear interpolation', () => {
    const s = scoreStatistics([4, 1, 3, 2, 5], 'x');
    expect(s).toMatchObject({ n: 5, mean: 3, min: 1, max: 5 });
    expect(s.std).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(s.p95).toBeCloseTo(4.8, 12);
  });
});

describe('MahalanobisDetector.predict / isAnomalous', () => {
  const val = toyImages(20, [8, 8, 1], 3); // held-out normals: the threshold comes from them
  const pixels = (ds: typeof test, i: number) => {
    const px = new Float32Array(64);
    ds.copyInto(i, px, 0);
    return px;
  };

  it('decide with the threshold from validation normals: score ≥ threshold, as ft ad score prints it', async () => {
    const det = await new MahalanobisDetector(tinyBackbone(), { batchSize: 16 }).fit(train, { statsFrom: val });
    const valScores = (await det.score(val)).total;
    expect(det.threshold?.source).toBe('validation normals');
    expect(det.threshold?.value).toBeCloseTo(scoreStatistics(valScores, 'v').p99, 12);
    const thr = det.threshold?.value as number;
    const { total } = await det.score(test);
    const pred = await det.predict(test);
    expect(pred).toBeInstanceOf(Uint8Array);
    expect(Array.from(pred)).toEqual(Array.from(total, (s) => (s >= thr ? 1 : 0)));
    // the bright-square anomalies (first 15) are flagged, the normals are not
    expect(Array.from(pred.slice(0, 15))).toEqual(new Array(15).fill(1));
    // normals score 8.8–18.9 and anomalies 75–111 against a threshold of 12.5: the 99 % quantile of only 20
    // held-out normals lets 4 of the 15 test normals through (seeded, cpu)
    expect(pred.slice(15).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
    // the most normal-looking normal and the most anomalous anomaly, as pixels, tensors and scores
    const normal = 15 + Array.from(total.slice(15)).indexOf(Math.min(...total.slice(15)));
    const anomalous = Array.from(total.slice(0, 15)).indexOf(Math.max(...total.slice(0, 15)));
    expect(total[normal]).toBeLessThan(thr);
    expect(total[anomalous]).toBeGreaterThan(2 * thr);
    expect(await det.isAnomalous(pixels(test, normal))).toBe(false);
    expect(await det.isAnomalous(pixels(test, anomalous))).toBe(true);
    const before = tf.memory().numTensors;
    const img = tf.tensor3d(pixels(test, anomalous), [8, 8, 1]);
    expect(await det.isAnomalous(img)).toBe(true);
    expect(await det.isAnomalous(tf.expandDims(img, 0))).toBe(true);
    expect(tf.memory().numTensors).toBe(before + 2); // only the two inputs, which are the caller's
    expect(det.isAnomalous(total[normal])).toBe(false);
    expect(det.isAnomalous(thr)).toBe(true);
    expect(Array.from(await det.predict(tf.tensor4d(test.images, [30, 8, 8, 1])))).toEqual(Array.from(pred));
    // the threshold travels with the saved detector
    const again = await MahalanobisDetector.load(await det.save(join(dir, 'decide')));
    expect(again.threshold).toEqual(det.threshold);
    expect(Array.from(await again.predict(test))).toEqual(Array.from(pred));
    expect(() => det.isAnomalous(Number.NaN)).toThrow(InvalidArgumentError);
    await expect(det.isAnomalous(new Float32Array(10))).rejects.toThrow(ShapeError);
    await expect(det.predict(tf.zeros([2, 8, 8, 3]))).rejects.toThrow(ShapeError);
  });

  it('a detector without a threshold refuses to decide with a typed error that says how to set one', async () => {
    const det = await new MahalanobisDetector(tinyBackbone(), { batchSize: 16 }).fit(train);
    det.threshold = null;
    const err = await det.predict(test).catch((e) => e);
    expect(err).toBeInstanceOf(MissingThresholdError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/no threshold.*fit\(\).*calibrate: true.*detector\.threshold = /);
    expect(() => det.isAnomalous(1)).toThrow(MissingThresholdError);
    await expect(det.isAnomalous(pixels(test, 0))).rejects.toThrow(MissingThresholdError);
    // evaluate(..., { calibrate: true }) sets the F1-adaptive threshold, and deciding works again
    const ev = await det.evaluate(test, test.labels, { calibrate: true, source: 'test (for this check only)' });
    const calibrated = (d: MahalanobisDetector) => d.threshold; // (TypeScript narrowed det.threshold to null above)
    expect(calibrated(det)?.kind).toBe('f1-adaptive');
    expect(calibrated(det)?.value).toBe(ev.imageThreshold);
    const pred = await det.predict(test);
    expect(Array.from(pred)).toEqual(Array.from(ev.scores.total, (s) => (s >= ev.imageThreshold ? 1 : 0)));
  });
});

describe('withInputShape', () => {
  it('rebuilds a conv backbone for another image size with the same weights', async () => {
    const small = buildBackbone('resnet8', { inputShape: [16, 16, 1], seed: 5, numClasses: 4 }).model;
    const big = buildBackbone('resnet8', { inputShape: [28, 28, 1], seed: 5, numClasses: 4 }).model;
    const rebuilt = await withInputShape(big, [16, 16, 1]);
    const x = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 7);
    const a = small.predict(x) as tf.Tensor;
    const b = rebuilt.predict(x) as tf.Tensor;
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    await expect(withInputShape(big, [16, 16, 3])).rejects.toThrow(ShapeError);
    expect(await withInputShape(big, [28, 28, 1])).toBe(big);
    tf.dispose([x, a, b]);
  });
});
