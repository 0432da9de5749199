import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARMS } from './arms.mjs';
import { verdictOf, writePage } from './page.mjs';
import { runKey, stepsFor } from './runs.mjs';

const budgetsOf = { 'mnist-fmnist': [10, 100], 'fmnist04-fmnist59': [10] };
const pairIds = Object.keys(budgetsOf);

/** Synthetic main records: fine-tuning at `base` accuracy, AdaFilter `delta` higher (± `jitter` by seed). */
function records(delta, jitter) {
  const out = [];
  for (const pair of pairIds) {
    for (const budget of budgetsOf[pair]) {
      for (const seed of [0, 1, 2]) {
        const base = 0.6 + 0.01 * seed;
        for (const arm of ARMS) {
          const acc = arm.id === 'adafilter' ? base + delta + jitter * (seed - 1) : base;
          out.push({
            phase: 'main',
            pair,
            arm: arm.id,
            budget,
            seed,
            lr: 0.01,
            steps: 200,
            testAccuracy: acc,
            ...(arm.id === 'adafilter' ? { testAccuracySampled: acc - 0.01 } : {}),
            trainAccuracy: Math.min(1, acc + 0.2),
            valAccuracy: acc,
            trainSeconds: 10,
            trainImages: 12800,
            evalSeconds: 2,
            testN: 10000,
            backend: 'cpu',
            ...(arm.gated
              ? {
                  valFineTunedFraction: 0.4,
                  gateTrace: [{ epoch: 0, step: 2, fineTunedFraction: 0.5, perLayerMean: [0.5, 0.5] }],
                  gates: {
                    layers: ['b1_conv1', 'b1_conv2'],
                    perLayerMean: [0.3, 0.5],
                    perLayerClassMeans: [
                      [0.2, 0.4],
                      [0.5, 0.5],
                    ],
                    perLayerClassVariance: [0.01, 0],
                    fineTunedFraction: 0.4,
                  },
                }
              : {}),
          });
        }
      }
    }
  }
  return out;
}

describe('adafilter benchmark page', () => {
  it('verdict: reproduced when every paired reduction beats its spread, not when every one is a clear loss', () => {
    expect(verdictOf(records(0.03, 0.005), pairIds, budgetsOf).verdict).toBe('reproduced');
    expect(verdictOf(records(-0.03, 0.005), pairIds, budgetsOf).verdict).toBe('not');
    expect(verdictOf(records(0.002, 0.02), pairIds, budgetsOf).verdict).toBe('inconclusive');
    expect(verdictOf([], pairIds, budgetsOf).verdict).toBe('inconclusive');
    expect(verdictOf(records(0.03, 0.005), pairIds, budgetsOf).why).toMatch(/\+3\.00 points \(paper: \+2\.54\)/);
  });

  it('writes the page with its opening headers, tables and plots', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'af-page-'));
    try {
      const recs = [
        ...records(0.03, 0.005),
        // a main run at a rate that was not chosen (e.g. before the grid was widened): left out of every table
        { ...records(0.03, 0.005).find((r) => r.arm === 'adafilter'), lr: 0.3, testAccuracy: 0 },
        ...['finetune', 'linear-probe', 'adafilter'].map((arm) => ({
          phase: 'select',
          pair: 'mnist-fmnist',
          arm,
          budget: 100,
          seed: 100,
          lr: 0.01,
          valAccuracy: 0.5,
          trainSeconds: 1,
        })),
        // timing: AdaFilter takes 2.5× then 3× as long per image as fine-tuning → median ratio 2.75
        ...[0, 1].flatMap((seed) => [
          {
            phase: 'timing',
            arm: 'finetune',
            seed,
            steps: 60,
            trainImages: 3840,
            trainSeconds: 2,
            inferImages: 2000,
            inferSeconds: 1,
          },
          {
            phase: 'timing',
            arm: 'adafilter',
            seed,
            steps: 60,
            trainImages: 3840,
            trainSeconds: 2 * (2.5 + 0.5 * seed),
            inferImages: 2000,
            inferSeconds: 2,
          },
        ]),
      ];
      await writePage({
        records: recs,
        quick: false,
        command: 'npx -y pnpm@10 run bench:adafilter',
        out,
        cfg: { epochs: 30, minSteps: 200, maxSteps: 600, batchSize: 64 },
        lrGrid: [0.003, 0.01, 0.03],
        selectSeed: 100,
        chosen: Object.fromEntries(
          pairIds.flatMap((p) =>
            budgetsOf[p].map((k) => [`${p}:${k}`, { finetune: 0.01, linearProbe: 0.01, adafilter: 0.01 }]),
          ),
        ),
        seeds: [0, 1, 2],
        pairIds,
        budgetsOf,
        arms: ARMS,
        costs: { finetune: 4e6, adafilter: 7e6, gatedShare: 0.7, gate: 2e4 },
        backend: { name: 'cpu' },
        log: () => {},
      });
      const md = fs.readFileSync(path.join(out, 'adafilter.md'), 'utf8');
      for (const h of ['## Command', '## Backend, machine and date', '## Seeds', "## Paper's claim", '## Verdict']) {
        expect(md).toContain(h);
      }
      expect(md).toMatch(/reproduced/i);
      expect(md).toContain('| AdaFilter vs fine-tuning');
      expect(md).toContain('+3.0 ± 0.5 (3/3 seeds up)');
      expect(md).toContain('1.75×');
      expect(md).toMatch(/AdaFilter, Gumbel-sampled gates at test \(SpotTune's evaluation\) +\| +37\.0 ± 1\.5/);
      // selection: the chosen rate is marked; main runs at another rate are left out
      expect(md).toMatch(/digits→FMNIST, 100\/class +\| fine-tuning +\| +– +\| +50\.0 ← +\|/);
      expect(md).toContain('0 of 9 choices sit on the edge');
      expect(md).toMatch(/\| AdaFilter +\| +7\.00 \| +1\.43 \| +2\.75× \| +1\.000 \| +2\.00× \|/);
      for (const f of ['error-mnist-fmnist.svg', 'gates-per-layer.svg', 'gate-trace.svg']) {
        expect(fs.existsSync(path.join(out, 'adafilter', f))).toBe(true);
      }
    } finally {
      if (!process.env.KEEP) fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('clamps the steps to [minSteps, maxSteps] and keys runs without the step count', () => {
    const cfg = { epochs: 30, minSteps: 200, maxSteps: 600, batchSize: 64 };
    expect(stepsFor(80, cfg)).toBe(200);
    expect(stepsFor(750, cfg)).toBe(360);
    expect(stepsFor(7500, cfg)).toBe(600);
    expect(runKey({ phase: 'main', pair: 'p', arm: 'a', budget: 10, seed: 0, lr: 0.01, steps: 5 })).toBe(
      'main|p|a|10|0|0.01',
    );
  });
});
