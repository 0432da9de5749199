import { describe, expect, it } from 'vitest';
import { bestByEpochs, bestByTrial, ENGINE_ARMS, engineSection } from './engine.mjs';
import { onLogEdge } from './transfer-objective.mjs';

const trial = (state, value, epochs) => ({ number: 0, state, value, lr: 0.01, epochsParam: epochs, epochs });

function record(arm, seed, trials, testError = 0.3) {
  const done = trials.filter((t) => t.state === 'complete');
  const best = done.reduce((a, t) => (t.value < a.value ? t : a));
  return {
    part: 'engine',
    arm,
    seed,
    config: {
      perClass: 100,
      valFraction: 0.3,
      trials: trials.length,
      tpeStartup: 5,
      space: { lr: [1e-3, 1], epochs: [3, 12] },
      testSize: 10000,
      fullTestSize: 10000,
      fitSize: 700,
      valSize: 300,
      source: 'zoo:mnist-resnet8',
    },
    trials: trials.map((t, i) => ({ ...t, number: i })),
    best: { number: 0, value: best.value, lr: 0.01, epochs: best.epochs },
    testError,
    seconds: 10,
  };
}

describe('engine benchmark analysis', () => {
  const t = [
    trial('complete', 0.5, 10),
    trial('pruned', null, 1),
    trial('complete', 0.3, 10),
    trial('complete', 0.4, 5),
  ];

  it('tracks the best completed value against trials; pruned trials never count as best', () => {
    expect(bestByTrial({ trials: [trial('pruned', null, 2), ...t] })).toEqual([null, 0.5, 0.5, 0.3, 0.3]);
  });

  it('counts pruned trials’ epochs as consumed', () => {
    expect(bestByEpochs({ trials: t })).toEqual([
      [10, 0.5],
      [11, 0.5],
      [21, 0.3],
      [26, 0.3],
    ]);
  });

  it('states the epochs saved by a pruner and the gap between samplers from the records', () => {
    const recs = [];
    for (const seed of [0, 1]) {
      recs.push(record('random', seed, [trial('complete', 0.4, 10), trial('complete', 0.35, 10)]));
      recs.push(record('tpe', seed, [trial('complete', 0.3, 10), trial('complete', 0.32, 10)]));
      recs.push(record('tpe-median', seed, [trial('complete', 0.3, 10), trial('pruned', null, 2)]));
      recs.push(record('tpe-sha', seed, [trial('complete', 0.3, 10), trial('pruned', null, 1)]));
    }
    const s = engineSection(recs);
    expect(s.verdict[0]).toContain("TPE's best validation error is 30.0% against Random's 35.0%");
    expect(s.verdict[0]).toContain('TPE better by 5.0 points');
    // TPE alone: 20 epochs per seed; Median 12 (40% fewer); SHA 11 (45% fewer)
    expect(s.verdict[1]).toMatch(/^TPE \+ Median used 40% fewer epochs than TPE alone \(12 against 20\)/);
    expect(s.verdict[2]).toMatch(/^TPE \+ SuccessiveHalving used 45% fewer epochs than TPE alone \(11 against 20\)/);
    expect(s.markdown).toContain('| TPE + SuccessiveHalving');
    expect(s.markdown).toContain('hparams/engine-epochs.svg');
    expect(ENGINE_ARMS.map((a) => a.arm)).toEqual(['random', 'tpe', 'tpe-median', 'tpe-sha']);
  });
});

describe('onLogEdge', () => {
  it('flags values within 5% of a log range’s ends', () => {
    expect(onLogEdge(1e-3, [1e-3, 1])).toBe(true);
    expect(onLogEdge(0.9, [1e-3, 1])).toBe(true);
    expect(onLogEdge(0.03, [1e-3, 1])).toBe(false);
    expect(onLogEdge(0.5, [1e-3, 1])).toBe(false); // log10(1/0.5) = 0.30 > 0.15
  });
});
