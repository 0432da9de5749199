import { describe, expect, it } from 'vitest';
import { warmUp, warmupSeconds } from './warmup.mjs';

describe('warmUp', () => {
  it('makes the minimum number of calls when no time is asked for', async () => {
    let calls = 0;
    expect(await warmUp(() => calls++, 2, 0)).toBe(2);
    expect(calls).toBe(2);
  });

  it('keeps calling until the time has passed, on a simulated clock', async () => {
    let t = 0;
    const step = async () => {
      t += 400; // each call takes 0.4 s
    };
    // 3 s at 0.4 s a call: the 8th call ends at 3.2 s, the first time at or past 3 s
    expect(await warmUp(step, 2, 3, () => t)).toBe(8);
    t = 0;
    // slow calls: the minimum count wins
    expect(
      await warmUp(
        async () => (t += 5000),
        2,
        3,
        () => t,
      ),
    ).toBe(2);
  });
});

describe('warmupSeconds', () => {
  it('reads the flag, falls back to the default and refuses negative or non-numbers', () => {
    expect(warmupSeconds('0.5', 3)).toBe(0.5);
    expect(warmupSeconds(undefined, 3)).toBe(3);
    expect(() => warmupSeconds('-1', 3)).toThrow(/--warmup-s must be a number ≥ 0, got -1/);
    expect(() => warmupSeconds('soon', 3)).toThrow(/--warmup-s/);
  });
});
