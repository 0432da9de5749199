import { describe, expect, it } from 'vitest';
import { formatPairedGain, pairedGain } from './paired.js';

describe('pairedGain', () => {
  it('pairs by seed, scales, and counts the seeds where A wins', () => {
    const a = [
      { seed: 0, value: 0.5 },
      { seed: 1, value: 0.6 },
      { seed: 2, value: 0.7 },
    ];
    const b = [
      { seed: 2, value: 0.6 },
      { seed: 0, value: 0.55 },
      { seed: 9, value: 0.1 },
    ];
    const g = pairedGain(a, b, 100);
    // differences: seed 0 −5, seed 2 +10 → mean 2.5, sample std √((7.5² + 7.5²)/1) = 10.607
    expect(g?.n).toBe(2);
    expect(g?.mean).toBeCloseTo(2.5, 10);
    expect(g?.std).toBeCloseTo(Math.sqrt(112.5), 6);
    expect(g?.positive).toBe(1);
    expect(formatPairedGain(g)).toBe('+2.5 ± 10.6 (1/2 seeds up)');
  });

  it('is null without shared seeds, and prints one seed without a spread', () => {
    expect(pairedGain([{ seed: 0, value: 1 }], [{ seed: 1, value: 0 }])).toBeNull();
    expect(formatPairedGain(null)).toBe('–');
    expect(formatPairedGain(pairedGain([{ seed: 0, value: 1 }], [{ seed: 0, value: 3 }]))).toBe(
      '-2.0 ± – (0/1 seeds up)',
    );
  });
});
