import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { labelConnectedComponents } from './connected-components.js';

// 5 × 5:            8-connectivity: {A, B (diagonal)}, {C}; 4-connectivity: {A}, {B}, {C}
const mask = [
  1,
  1,
  0,
  0,
  0, //
  1,
  1,
  0,
  0,
  1, //
  0,
  0,
  1,
  0,
  1, //
  0,
  0,
  0,
  0,
  1, //
  0,
  0,
  0,
  0,
  0, //
];

describe('labelConnectedComponents', () => {
  it('8-connectivity joins diagonal neighbours (default, as OpenCV / anomalib)', () => {
    const cc = labelConnectedComponents(mask, 5, 5);
    expect(cc.count).toBe(2);
    expect(cc.sizes).toEqual([5, 3]);
    expect(cc.labels[12]).toBe(cc.labels[0]);
    expect(cc.labels[9]).toBe(2);
  });

  it('4-connectivity keeps diagonal neighbours apart', () => {
    const cc = labelConnectedComponents(mask, 5, 5, { connectivity: 4 });
    expect(cc.count).toBe(3);
    expect(cc.sizes).toEqual([4, 3, 1]);
    expect(Array.from(cc.labels.slice(0, 10))).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 0, 2]);
    expect(cc.labels[12]).toBe(3);
  });

  it('does not wrap around row ends', () => {
    // pixel (0, 2) and (1, 0) are adjacent in memory only.
    const cc = labelConnectedComponents([0, 0, 1, 1, 0, 0], 2, 3);
    expect(cc.count).toBe(2);
  });

  it('empty mask has no components; bad arguments throw', () => {
    expect(labelConnectedComponents([0, 0, 0, 0], 2, 2).count).toBe(0);
    expect(() => labelConnectedComponents([0, 0, 0], 2, 2)).toThrow(ShapeError);
    expect(() => labelConnectedComponents([0], 1, 1, { connectivity: 6 as 4 })).toThrow(InvalidArgumentError);
  });
});
