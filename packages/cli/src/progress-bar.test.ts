import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressBar } from './progress-bar.js';

/** A fake terminal stream that records writes. */
function term(isTTY: boolean, columns = 100) {
  const writes: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        writes.push(String(chunk));
        cb();
      },
    }),
    { isTTY, columns },
  );
  return { stream, writes };
}

describe('createProgressBar', () => {
  it('renders label, bar, count, rate and ETA on a TTY, redrawing the line in place', () => {
    const { stream, writes } = term(true);
    let t = 0;
    const bar = createProgressBar(stream, 10, 'train', () => t);
    t = 2000;
    bar.update(4, 'loss 0.5');
    expect(writes).toHaveLength(1);
    const line = writes[0];
    expect(line.startsWith('\r')).toBe(true);
    expect(line.endsWith('\x1b[K')).toBe(true);
    // width = clamp(columns − 60, 10, 30) = 30 → 12 filled
    expect(line).toContain(`train [${'#'.repeat(12)}${'-'.repeat(18)}] 4/10 2.0/s ETA`);
    expect(line).toContain('loss 0.5');
  });

  it('throttles updates to one per 100 ms except the last one, and done() ends the line', () => {
    const { stream, writes } = term(true);
    let t = 1000;
    const bar = createProgressBar(stream, 5, 'x', () => t);
    bar.update(1);
    t += 50;
    bar.update(2); // within 100 ms: skipped
    t += 10;
    bar.update(5); // the last one is always drawn
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('5/5');
    bar.done();
    expect(writes.slice(-2)[0]).toContain('5/5');
    expect(writes[writes.length - 1]).toBe('\n');
  });

  it('cuts the line to the terminal width', () => {
    const { stream, writes } = term(true, 40);
    let t = 0;
    const bar = createProgressBar(stream, 3, 'a-long-label', () => t);
    t = 500;
    bar.update(1, 'some extra information that is long');
    // '\r' + at most columns − 1 characters + '\x1b[K'
    expect(writes[0].length).toBeLessThanOrEqual(1 + 39 + 3);
  });

  it('writes nothing when the stream is not a TTY or the total is 0', () => {
    for (const [isTTY, total] of [
      [false, 10],
      [true, 0],
    ] as const) {
      const { stream, writes } = term(isTTY);
      const bar = createProgressBar(stream, total, 'x', () => 0);
      bar.update(3);
      bar.done();
      expect(writes).toEqual([]);
    }
  });
});
