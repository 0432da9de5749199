import { describe, expect, it } from 'vitest';
import { methodFlops } from './flops.mjs';

describe('methodFlops', () => {
  it('counts FLOPs per iteration (8 real flops per complex multiply-add)', () => {
    expect(methodFlops('amp-mmv', { L: 20, N: 100, M: 32 })).toBe(16 * 20 * 100 * 32 + 10 * 100 * 32);
    expect(methodFlops('proposed', { L: 20, N: 100, M: 32 })).toBeLessThan(
      methodFlops('proposed-nodr', { L: 20, N: 100, M: 32 }),
    );
  });
});
