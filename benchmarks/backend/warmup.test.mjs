import { describe, expect, it } from 'vitest';
import { warmUp } from './warmup.mjs';

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
