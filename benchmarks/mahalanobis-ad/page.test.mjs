import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resultRecord } from '@ft/report';
import { afterAll, describe, expect, it } from 'vitest';
import { writePage } from './page.mjs';
import { summarizeRun, testEpochGrid } from './sweep.mjs';

// Synthetic sweep: at 1e-4 the validation rises and the test AUROC gains 0.1–0.3 points (no forgetting); at 1e-2 the
// validation peaks at epoch 1 and falls while the test AUROC falls ~4 points (forgetting the validation tracks).
const backend = { name: 'ft-native', gpu: false, threads: 1 };
const grid = testEpochGrid(6, [0, 1, 2, 3, 5, 6]);
const records = [];
const rec = (arm, c, s, metrics, extra) =>
  resultRecord({
    method: 'mahalanobis-ad',
    arm,
    dataset: `fashion-mnist/class-${c}`,
    seed: s,
    metrics,
    backend,
    command: 'test',
    extra,
  });
for (const s of [0, 1]) {
  for (const c of [0, 1, 2]) {
    const j = 0.001 * (c + 1) + 0.0005 * s;
    records.push(rec('frozen', c, s, { sum: 0.9 + j, raw: 0.89, stem: 0.85 }, { source: 'zoo:mnist-resnet8' }));
    const runs = {
      1e-4: {
        val: [0.7, 0.72, 0.74, 0.76, 0.78, 0.79, 0.8],
        test: (e) => 0.9 + (e > 0 ? j : 0),
      },
      1e-2: {
        val: [0.7, 0.75 + j, 0.72, 0.7 - j, 0.69, 0.68, 0.67 - j],
        test: (e) => [0.9, 0.905, 0.89, 0.88 - j, 0.87, 0.865 - j, 0.86 - 2 * j][e],
      },
    };
    for (const [lr, r] of Object.entries(runs)) {
      const history = r.val.map((v, epoch) => ({ epoch, loss: epoch ? 1 : null, valAUROC: v, seconds: 1 }));
      const testAt = Object.fromEntries(history.map((h) => [h.epoch, r.test(h.epoch)]));
      const m = summarizeRun(history, testAt, { grid, patience: 5 });
      records.push(
        rec(
          'sweep',
          c,
          s,
          { ...m, forgets: m.forgets ? 1 : 0 },
          {
            source: 'zoo:mnist-resnet8',
            lr: Number(lr),
            epochs: 6,
            grid,
            history,
            testAt,
            trainSeconds: 7,
            scoreSeconds: 3,
            scoredEpochs: grid.length,
          },
        ),
      );
    }
  }
}
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mad-page-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('writePage', () => {
  it('judges each claim from the records, chooses the rate on validation and draws the charts', async () => {
    const res = await writePage({
      out,
      records,
      cutRecords: [],
      config: {
        epochs: 6,
        patience: 5,
        n: 1000,
        testSize: 0,
        fullTest: 10000,
        grid,
        strongEpochs: 30,
        strongSeeds: [0],
        batch: 32,
        workers: 2,
      },
      backend,
      command: 'node benchmarks/mahalanobis-ad/run.mjs',
      minutes: 1,
      sourceInfo: {},
      log: () => {},
    });
    expect(res).toMatchObject({ verdict: 'reproduced', chosen: 6 });
    expect(res.gain.verdict).toBe('reproduced');
    expect(res.gain.m.mean).toBeCloseTo(0.225, 10); // 0.1, 0.2, 0.3 points (+0.05 on seed 1)
    expect(res.track).toMatchObject({ verdict: 'reproduced', n: 6 });
    const page = fs.readFileSync(path.join(out, 'mahalanobis-ad.md'), 'utf8');
    expect(page).toContain('**Reproduced.**');
    expect(page).toContain('chosen: 1e-4: 6, 0.01: 0; 6 of 6 choices on a grid edge');
    expect(page).toMatch(/\| 0\.01 +\| +[\d.]+ ± [\d.]+ \| +6\/6 \|/);
    for (const f of ['sweep-gain.svg', 'sweep-test.svg', 'sweep-val.svg']) {
      expect(fs.statSync(path.join(out, 'mahalanobis-ad', f)).size).toBeGreaterThan(1000);
    }
  }, 30000);
});
