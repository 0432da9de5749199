// Tests of the issue-17 re-run machinery: seed aggregation, the budget stopping rule, the solver worker pool and the
// page's cut-run comparison.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@ft/core';
import { makePilots, runMethod, simulateMassiveAccess } from '@ft/jadce';
import { describe, expect, it } from 'vitest';
import { pickBudget } from './budget.mjs';
import { benchSetup } from './config.mjs';
import { aggregateSeeds, pmRecord } from './format.mjs';
import { writeJadcePage } from './page.mjs';
import { createSolverPool, sliceData } from './solver-pool.mjs';
import { pageConfig, pageRecords, rec } from './test-helpers.mjs';
import { modelKey, modelLoader, pretrain } from './train.mjs';

const withSeed = (r, trainSeed) => ({ ...r, trainSeed });

describe('aggregateSeeds', () => {
  it('merges the training seeds of a learned method into their mean with the per-seed values as its ±', () => {
    const recs = [
      rec('cov-ml', 32, 12, 0.001, -10, 1),
      withSeed(rec('proposed', 32, 12, 0.002, -8, 3), 0),
      withSeed(rec('proposed', 32, 12, 0.004, -9, 5), 1),
      withSeed(rec('proposed', 32, 12, 0.006, -10, 7), 2),
    ];
    const agg = aggregateSeeds(recs);
    expect(agg).toHaveLength(2);
    expect(agg[0]).toBe(recs[0]);
    const p = agg[1];
    expect(p.nmseDb).toBeCloseTo(-9, 12);
    expect(p.aer).toBeCloseTo(0.004, 12);
    expect(p.msPerSample).toBeCloseTo(5, 12);
    expect(p.trainSeeds).toEqual([0, 1, 2]);
    expect(p.seedNmseDb).toEqual([-8, -9, -10]);
    expect(p.trainSeed).toBeUndefined();
    expect(pmRecord(p, 'nmseDb')).toBe('-9.00 ± 1.00 (s)');
    expect(pmRecord(p, 'aer')).toBe('4.0e-3 ± 2.0e-3 (s)');
    // a baseline's ± stays over its test blocks
    expect(pmRecord(agg[0], 'nmseDb')).toBe('-10.00 ± 0.14');
  });
});

describe('pickBudget', () => {
  const ladder = [1, 2, 3, 4].map((k) => ({ stepsPerStage: 8 * 2 ** (k - 1), samples: 2000 * 2 ** (k - 1) }));
  it('stops at the first rung whose successor improves the validation NMSE by less than the tolerance', () => {
    expect(pickBudget(ladder, [-5], 0.2)).toBeNull();
    expect(pickBudget(ladder, [-5, -6], 0.2)).toBeNull();
    expect(pickBudget(ladder, [-5, -6, -6.1], 0.2)).toEqual({ chosen: ladder[1], converged: true });
    // a worse successor also stops the search
    expect(pickBudget(ladder, [-5, -4.5], 0.2)).toEqual({ chosen: ladder[0], converged: true });
  });
  it('takes the top rung, flagged as not converged, when every rung still improved', () => {
    expect(pickBudget(ladder, [-5, -6, -7, -8], 0.2)).toEqual({ chosen: ladder[3], converged: false });
  });
});

describe('solver pool', () => {
  it('two workers return exactly what the calling thread returns (estimates, scores, iterations)', async () => {
    const rng = createRng('pool');
    const S = makePilots(8, 40, rng.fork('S'));
    const data = simulateMassiveAccess({
      N: 40,
      M: 4,
      L: 8,
      activity: 0.1,
      snrDb: 10,
      pilots: S,
      count: 5,
      rng: rng.fork('d'),
    });
    const priors = { eps: 0.1, beta: new Float64Array(40).fill(1), source: { eps: 'flag', beta: 'flag' } };
    const pool = createSolverPool(2);
    try {
      for (const m of ['amp-mmv', 'fista', 'oracle']) {
        const a = await pool.run(m, data, { priors, count: 5 });
        const b = runMethod(m, data, { priors, count: 5 });
        expect(Array.from(a.X.re)).toEqual(Array.from(b.X.re));
        expect(Array.from(a.X.im)).toEqual(Array.from(b.X.im));
        expect(Array.from(a.score)).toEqual(Array.from(b.score));
        expect(a.iterations).toBeCloseTo(b.iterations, 12);
      }
    } finally {
      await pool.close();
    }
    const part = sliceData(data, 2, 4);
    expect(part.Y.shape).toEqual([2, 8, 4]);
    expect(part.sigma2).toEqual(data.sigma2.subarray(2, 4));
    expect(part.active.length).toBe(80);
  });
});

describe('re-run page', () => {
  it('shows ± over training seeds, the budget curve, the one-by-one runtime and the cut run next to this one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jadce-rerun-'));
    const config = pageConfig({ Ls: [12, 16], Lref: 12, trainSeeds: [0, 1], extraSeeds: [0] });
    const records = pageRecords().flatMap((r) =>
      r.method === 'proposed' ? [withSeed(r, 0), withSeed({ ...r, nmseDb: r.nmseDb - 0.2 }, 1)] : [r],
    );
    const budget = {
      L: 12,
      tolDb: 0.2,
      curve: [
        { tag: '8x2000', stepsPerStage: 8, samples: 2000, valNmseDb: -6, seconds: 10 },
        { tag: '16x4000', stepsPerStage: 16, samples: 4000, valNmseDb: -6.1, seconds: 20 },
      ],
      chosen: { stepsPerStage: 8, samples: 2000 },
      converged: true,
    };
    const timing = ['amp-mmv', 'cov-ml', 'proposed'].map((method, k) => ({
      M: 32,
      L: 12,
      snrDb: 10,
      method,
      msOneByOne: [9, 1, 4][k],
      count: 5,
    }));
    const cut = {
      config: { ...pageConfig({ Ls: [12, 16], Lref: 16 }), stepsPerStage: 8, samples: 2000, slowCount: 200 },
      records: pageRecords().map((r) => ({ ...r, nmseDb: r.nmseDb + 1 })),
      finished: '2026-11-28T00:00:00Z',
    };
    const file = { config, training: {}, records, budget, timing, finished: '2026-12-05T00:00:00Z' };
    const out = join(dir, 'page.md');
    const res = await writeJadcePage(file, { out, svgDir: join(dir, 'jadce'), command: 'node run.mjs', cut });
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('## What changed from the cut run');
    expect(md).toContain('## Training budget (chosen on validation loss)');
    expect(md).toContain('jadce/budget-curve.svg');
    expect(md).toMatch(/\| 8 \/ 2000 +\| -6\.00 +\| 10 +\| chosen \|/);
    expect(md).toContain('ms / realisation, one by one');
    expect(md).toContain('(every method one realisation at a time)');
    expect(md).toContain('Changed from the cut run (verdict then:');
    // the proposed network's NMSE at L = 12 is the mean over the two seeds: (-13.2 + -13.4)/2
    expect(md).toMatch(/\| Proposed \(reconstruction\) +\| -13\.30 ± 0\.14 \(s\)/);
    expect(md).toContain('0, 1 (2 seeds)');
    expect(res.summary.verdict).toBe('reproduced');
  });
});

describe('training in child processes', () => {
  it('pretrain caches the same networks the in-process loader trains (same seeds, same weights)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jadce-pretrain-'));
    const mk = (modelDir) => {
      const { config } = benchSetup({ quick: true, T: 1, batch: 4, Ls: [8], modelDir });
      const root = createRng(config.seed);
      return {
        o: {},
        config,
        modelDir,
        root,
        file: { training: {} },
        recordsPath: join(modelDir, 'records.json'),
        pilots: new Map([[8, makePilots(8, config.N, root.fork('pilots-L8'))]]),
      };
    };
    const budget = { stepsPerStage: 1, samples: 16 };
    const job = { L: 8, seed: 0, tag: 'mixed', snr: [0, 20], budget, methods: ['alista-gs'] };
    const child = mk(join(dir, 'child'));
    await pretrain(child, [job], 2);
    const key = modelKey(8, 'mixed', 0, budget);
    expect(existsSync(join(child.modelDir, key, 'alista-gs', 'stats.json'))).toBe(true);
    const here = mk(join(dir, 'here'));
    const fromChild = (await modelLoader(child)(8, ['alista-gs'], [0, 20], 'mixed', 0, budget))('alista-gs');
    const trainedHere = (await modelLoader(here)(8, ['alista-gs'], [0, 20], 'mixed', 0, budget))('alista-gs');
    expect(child.file.training[`${key}-alista-gs`].steps).toBe(here.file.training[`${key}-alista-gs`].steps);
    const w = (m) => readFileSync(join(m, key, 'alista-gs', 'weights.npz'));
    expect(w(child.modelDir).equals(w(here.modelDir))).toBe(true);
    expect(fromChild.kind).toBe(trainedHere.kind);
  }, 30000);
});
