import { describe, expect, it } from 'vitest';
import { workersConfig, workersSection } from './workers.mjs';

const rec = (objective, workers, repeat, wallSeconds, extra = {}) => ({
  part: 'workers',
  objective,
  workers,
  repeat,
  wallSeconds,
  cores: 2,
  cpu: 'test cpu',
  backend: 'cpu',
  heartbeat: { intervalMs: 1000, gracePeriodMs: 30000 },
  trials: objective === 'sleep' ? 40 : 12,
  sleepMs: 100,
  idealSeconds: objective === 'sleep' ? 4 / workers : undefined,
  trialSecondsMean: 0.1 * workers,
  cpuSecondsPerTrial: 0.05 * workers,
  loadavg1: { before: 0.2, after: 0.3 },
  transfer: { perClass: 100, epochs: 3 },
  ...extra,
});

describe('workersSection', () => {
  it('takes medians over repeats and the speed-up against 1 worker, and the overhead against the ideal', () => {
    const records = [
      rec('sleep', 1, 0, 4.4),
      rec('sleep', 1, 1, 4.2),
      rec('sleep', 1, 2, 9.9), // an outlier: the median ignores it
      rec('sleep', 2, 0, 2.1),
      rec('sleep', 2, 1, 2.2),
      rec('sleep', 2, 2, 2.1),
      rec('sleep', 4, 0, 1.2),
      rec('sleep', 4, 1, 1.2),
      rec('sleep', 4, 2, 1.4),
      rec('transfer', 1, 0, 20),
      rec('transfer', 2, 0, 12.5),
      rec('transfer', 4, 0, 16),
    ];
    const { markdown, verdict, cuts } = workersSection(records);
    expect(markdown).toMatch(/^## Workers on one Redis journal/);
    // sleep: medians 4.4, 2.1, 1.2 → speed-ups 1, 2.10, 3.67; overhead (wall − ideal) × workers / trials in ms.
    expect(markdown).toContain('| sleep 100 ms | 40 | 1 | 3 | 4.40 | 4.00 | 1.00× | 1× | 0.10 | 0.05 | 10 | 0.2 |');
    expect(markdown).toContain('| sleep 100 ms | 40 | 2 | 3 | 2.10 | 2.00 | 2.10× | 2× | 0.20 | 0.10 | 5 | 0.2 |');
    expect(markdown).toContain('| sleep 100 ms | 40 | 4 | 3 | 1.20 | 1.00 | 3.67× | 4× | 0.40 | 0.20 | 20 | 0.2 |');
    expect(markdown).toContain('| 12 | 2 | 1 | 12.50 | – | 1.60× | 2× |');
    expect(markdown).toContain('| 12 | 4 | 1 | 16.00 | – | 1.25× | 4× |');
    expect(verdict[0]).toMatch(/2 workers 2\.10×, 4 workers 3\.67×/);
    expect(verdict[1]).toMatch(/2 workers 1\.60×, 4 workers 1\.25×/);
    expect(verdict[1]).toMatch(/CPU per trial 0\.05 s with 1 worker, 0\.20 s with 4/);
    expect(verdict).toHaveLength(2); // an idle machine: no shared-machine caveat
    expect(cuts[0]).toMatch(/100 labels\/class, 3 epochs, 12 trials, 1 repeat/);
  });

  it('says when the machine was shared, and when nothing ran', () => {
    const busy = [1, 2, 4].map((w) => rec('transfer', w, 0, 10, { loadavg1: { before: 3.1, after: 3 } }));
    expect(workersSection(busy).verdict.at(-1)).toMatch(
      /the machine was shared .*\(median 1-minute load 3\.1 on 2 cores/,
    );
    const none = workersSection([]);
    expect(none.markdown).toMatch(/Not run: redis-server is not installed/);
    expect(none.cuts).toHaveLength(1);
  });

  it('sizes the quick run below the full one', () => {
    const q = workersConfig(true);
    const f = workersConfig(false);
    expect(q.sleep.trials).toBeLessThan(f.sleep.trials);
    expect(q.transfer.trials).toBeLessThan(f.transfer.trials);
  });
});
