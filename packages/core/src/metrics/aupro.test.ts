import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { aupro, proCurve, truncatedAreaNormalised } from './aupro.js';
import { pixelAuroc } from './auroc.js';
import fixtures from './fixtures/sklearn.json';

const fx = fixtures.aupro;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('aupro vs the independent NumPy reference (scripts/metrics-fixtures.py)', () => {
  it.each(fx.cases)('connectivity $connectivity, fprLimit $fpr_limit', (c) => {
    const v = aupro(fx.masks, fx.maps, { fprLimit: c.fpr_limit, connectivity: c.connectivity as 4 | 8 });
    expect(Math.abs(v - c.aupro)).toBeLessThanOrEqual(1e-6);
  });

  it('default is fprLimit 0.3 with 8-connectivity', () => {
    const c = fx.cases.find((k) => k.connectivity === 8 && k.fpr_limit === 0.3)!;
    expect(Math.abs(aupro(fx.masks, fx.maps) - c.aupro)).toBeLessThanOrEqual(1e-6);
  });

  it('accepts [N, H, W] and [N, H, W, 1] tensors and flat data with shape', () => {
    const m = tf.tensor3d(fx.masks);
    const a = tf.tensor4d(fx.maps.map((img) => img.map((row) => row.map((v) => [v]))));
    const ref = aupro(fx.masks, fx.maps);
    expect(aupro(m, a)).toBeCloseTo(ref, 6);
    const flat = { data: fx.maps.flat(2), shape: [3, 12, 12] as const };
    expect(aupro(fx.masks, flat)).toBe(ref);
    m.dispose();
    a.dispose();
  });

  it('pixelAuroc = roc_auc_score over flattened pixels', () => {
    expect(Math.abs(pixelAuroc(fx.masks, fx.maps) - fx.pixel_roc_auc_score)).toBeLessThanOrEqual(1e-9);
  });
});

describe('aupro closed forms', () => {
  const masks = [
    [
      [0, 0, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
    ],
  ];

  it('a perfect map scores 1, its inverse 0', () => {
    expect(aupro(masks, masks)).toBe(1);
    const inv = masks.map((img) => img.map((row) => row.map((v) => 1 - v)));
    expect(aupro(masks, inv)).toBe(0);
  });

  it('a constant map gives the diagonal (0,0)→(1,1): area up to L is L²/2, normalised L/2', () => {
    const flat = masks.map((img) => img.map((row) => row.map(() => 0.5)));
    expect(aupro(masks, flat, { fprLimit: 0.3 })).toBeCloseTo(0.15, 15);
    expect(aupro(masks, flat, { fprLimit: 1 })).toBeCloseTo(0.5, 15);
  });

  it('regions are weighted equally, not by size (PRO ≠ pixel TPR)', () => {
    // Region A (2 px) detected at a score above all background, region B (1 px) at the bottom.
    const maps = [
      [
        [0.1, 0.2, 0.3, 0.4],
        [0.5, 0.9, 0.9, 0.6],
        [0.15, 0.25, 0.35, 0.45],
        [0.55, 0.65, 0.7, 0.0],
      ],
    ];
    const c = proCurve(masks, maps);
    expect(c.pro[1]).toBe(0.5); // after threshold 0.9: region A fully covered, B not → mean 0.5 (pixel TPR 2/3)
    expect(c.fpr[1]).toBe(0);
    expect(c.pro[c.pro.length - 1]).toBe(1);
    expect(c.fpr[c.fpr.length - 1]).toBe(1);
    // PRO = 0.5 on the whole FPR range until the last threshold (0.0, where B and no background are added).
    expect(aupro(masks, maps, { fprLimit: 0.3 })).toBeCloseTo(0.5, 15);
  });

  it('truncatedAreaNormalised interpolates at the limit', () => {
    expect(truncatedAreaNormalised([0, 1], [0, 1], 0.5)).toBeCloseTo(0.25, 15);
    expect(truncatedAreaNormalised([0, 0, 0.2, 1], [0, 1, 1, 1], 0.5)).toBe(1);
  });

  it('degenerate inputs throw', () => {
    const empty = [
      [
        [0, 0],
        [0, 0],
      ],
    ];
    expect(() => aupro(empty, empty)).toThrow(/at least one anomalous region/);
    const full = [
      [
        [1, 1],
        [1, 1],
      ],
    ];
    expect(() => aupro(full, full)).toThrow(/background pixels/);
    expect(() => aupro(masks, [[[0, 1]]])).toThrow(ShapeError);
    expect(() => aupro(masks, masks, { fprLimit: 0 })).toThrow(/fprLimit must lie in \(0, 1\]/);
    const nan = masks.map((img) => img.map((row) => row.map((v) => (v ? Number.NaN : 0))));
    expect(() => aupro(masks, nan)).toThrow(InvalidArgumentError);
    expect(() => aupro([[[0, 2]]], [[[0, 1]]])).toThrow(/mask values must lie in \[0, 1\]/);
  });
});
