import { describe, expect, it } from 'vitest';
import {
  chooseLr,
  epochsToScore,
  gainVerdict,
  meanSem,
  overallVerdict,
  projectSeconds,
  runKey,
  summarizeRun,
  testEpochGrid,
  trackingVerdict,
} from './sweep.mjs';

const hist = (vals) => vals.map((v, epoch) => ({ epoch, valAUROC: v }));

describe('testEpochGrid', () => {
  it('is dense at the start, keeps 0 and the last epoch, clips to the trained epochs', () => {
    expect(testEpochGrid(30)).toEqual([0, 1, 2, 3, 5, 8, 12, 17, 23, 30]);
    expect(testEpochGrid(3)).toEqual([0, 1, 2, 3]);
    expect(testEpochGrid(10, [5, 20])).toEqual([0, 5, 10]);
    expect(() => testEpochGrid(-1)).toThrow(/epochs/);
  });
});

describe('early stop with restore and best validation', () => {
  // validation peaks at 2, dips for 5 epochs (patience 5 stops at 7), then climbs to a higher peak at 9
  const h = hist([0.5, 0.6, 0.7, 0.65, 0.64, 0.63, 0.62, 0.61, 0.69, 0.8, 0.75]);
  it('the early stop restores the best epoch seen before patience ran out; best-val looks at all epochs', () => {
    const s = epochsToScore(h, [0, 1, 10], 5);
    expect(s.es).toBe(2);
    expect(s.bestVal).toBe(9);
    expect(s.epochs).toEqual([0, 1, 2, 9, 10]);
  });
  it('a longer patience sees the later peak', () => {
    expect(epochsToScore(h, [0], 7).es).toBe(9);
  });
  it('ties keep the earliest epoch (the frozen backbone when nothing improves)', () => {
    expect(epochsToScore(hist([0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6]), [0], 5).es).toBe(0);
  });
});

describe('summarizeRun', () => {
  const grid = [0, 1, 2, 4, 6];
  const h = hist([0.5, 0.6, 0.7, 0.65, 0.64, 0.63, 0.62]);
  it('reports every checkpoint, ρ on the grid only, and forgetting against the best scored epoch', () => {
    // the test AUROC rises with validation, then falls 3 points
    const testAt = { 0: 0.9, 1: 0.91, 2: 0.93, 4: 0.92, 6: 0.9 };
    const s = summarizeRun(h, testAt, { grid, patience: 5 });
    expect(s).toMatchObject({ frozen: 0.9, earlyStopped: 0.93, bestVal: 0.93, last: 0.9, oracle: 0.93 });
    expect(s.esEpoch).toBe(2);
    expect(s.peakEpoch).toBe(2);
    expect(s.forgets).toBe(true);
    // val on the grid: .5 .6 .7 .65 .62 ; test: .9 .91 .93 .92 .9 → ranks 1 2 5 4 3 vs 1.5 3 5 4 1.5: ρ = 8/√95
    expect(s.rho).toBeCloseTo(8 / Math.sqrt(95), 12);
  });
  it('no forgetting when the last epoch is within a point of the best; missing scores throw', () => {
    const s = summarizeRun(h, { 0: 0.9, 1: 0.9, 2: 0.905, 4: 0.9, 6: 0.899 }, { grid, patience: 5 });
    expect(s.forgets).toBe(false);
    expect(() => summarizeRun(h, { 0: 0.9, 1: 0.9, 4: 0.9, 6: 0.9 }, { grid, patience: 5 })).toThrow(/epoch 2/);
  });
});

describe('chooseLr', () => {
  it('picks the highest validation at the early-stopped checkpoint, ties to the smaller rate, flags grid edges', () => {
    const runs = [
      { lr: 1e-2, valAtEs: 0.8 },
      { lr: 1e-4, valAtEs: 0.7 },
      { lr: 1e-3, valAtEs: 0.8 },
      { lr: 3e-3, valAtEs: 0.75 },
    ];
    expect(chooseLr(runs)).toMatchObject({ lr: 1e-3, edge: null });
    expect(chooseLr([{ lr: 1e-2, valAtEs: 0.9 }, ...runs.slice(1)])).toMatchObject({ lr: 1e-2, edge: 'high' });
    expect(chooseLr(runs.map((r) => ({ ...r, valAtEs: 0.5 })))).toMatchObject({ lr: 1e-4, edge: 'low' });
    expect(() => chooseLr([])).toThrow(/no runs/);
  });
});

describe('verdict rules', () => {
  it('meanSem', () => {
    const m = meanSem([1, 2, 3, Number.NaN]);
    expect(m.mean).toBe(2);
    expect(m.sem).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(m.n).toBe(3);
    expect(meanSem([1]).sem).toBeNaN();
  });
  it('gain: reproduced above 2 SEM, not when worse or when the interval excludes a 0.5-point gain, else inconclusive', () => {
    expect(gainVerdict([1, 1.2, 0.8, 1.1]).verdict).toBe('reproduced');
    expect(gainVerdict([-1, -1.2, -0.8, -1.1]).verdict).toBe('not');
    expect(gainVerdict([0.1, -0.1, 0.05, -0.05]).verdict).toBe('not');
    expect(gainVerdict([2, -2, 1, -0.5]).verdict).toBe('inconclusive');
    expect(gainVerdict([1]).verdict).toBe('inconclusive');
  });
  const run = (rho, es, last, forgets = true) => ({ rho, earlyStopped: es, last, forgets });
  it('tracking: inconclusive without forgetting; reproduced / partly / not on the forgetting runs', () => {
    expect(trackingVerdict([run(0.9, 0.9, 0.8, false), run(0.9, 0.9, 0.8)]).verdict).toBe('inconclusive');
    const good = Array.from({ length: 6 }, (_, i) => run(0.6 + 0.05 * i, 0.92, 0.88 - 0.01 * i));
    expect(trackingVerdict(good)).toMatchObject({ verdict: 'reproduced', n: 6 });
    const rescueOnly = good.map((r, i) => ({ ...r, rho: i % 2 ? 0.5 : -0.5 }));
    expect(trackingVerdict(rescueOnly).verdict).toBe('partly');
    const bad = Array.from({ length: 10 }, (_, i) => run(i % 2 ? 0.3 : -0.3, 0.88 + (i % 2 ? 0.01 : -0.01), 0.88));
    expect(trackingVerdict(bad).verdict).toBe('not');
    expect(trackingVerdict(bad.slice(0, 6)).verdict).toBe('inconclusive');
  });
  it('overall', () => {
    expect(overallVerdict('reproduced', 'reproduced')).toBe('reproduced');
    expect(overallVerdict('not', 'not')).toBe('not');
    expect(overallVerdict('not', 'inconclusive')).toBe('not');
    expect(overallVerdict('inconclusive', 'inconclusive')).toBe('inconclusive');
    expect(overallVerdict('reproduced', 'not')).toBe('partly');
    expect(overallVerdict('not', 'partly')).toBe('partly');
  });
  it('runKey separates arm, dataset, seed, learning rate and source', () => {
    const r = { arm: 'sweep', dataset: 'fashion-mnist/class-3', seed: 1, extra: { lr: 1e-3, source: 'zoo:a' } };
    expect(runKey(r)).toBe('sweep|fashion-mnist/class-3|1|0.001|zoo:a');
    expect(runKey({ ...r, extra: { ...r.extra, lr: 1e-2 } })).not.toBe(runKey(r));
  });
});

describe('projectSeconds', () => {
  it('adds the serial parent phases to the workers’ share of the runs', () => {
    const u = { epoch: 2, epoch0: 0.5, scoring: 3, frozenArm: 10, features: 5, pretrainEpoch: 10 };
    const c = {
      runs: 80,
      epochs: 30,
      scoringsPerRun: 8,
      strongRuns: 10,
      strongEpochs: 30,
      strongTrainedEpochs: 12,
      frozenArms: 40,
      workers: 2,
    };
    const p = projectSeconds(u, c);
    expect(p.sweepRun).toBe(0.5 + 60 + 24);
    expect(p.strongRun).toBe(0.5 + 24 + 6);
    expect(p.serial).toBe(400 + 10 + 300);
    expect(p.parallel).toBeCloseTo((80 * 84.5 + 10 * 30.5) / 2 + 84.5 / 2, 10);
    expect(p.total).toBeCloseTo(p.parallel + p.serial, 10);
    expect(projectSeconds(u, { ...c, workers: 1 }).parallel).toBe(80 * 84.5 + 10 * 30.5);
  });
});
