import { describe, expect, it } from 'vitest';
import { createStudy, type Trial } from '../study.js';
import type { TrialSampler } from '../types.js';
import { RandomSampler } from './random.js';
import { TPESampler } from './tpe.js';

// TPE must beat random search at a fixed budget on two standard test functions, over 10 seeds.
const BUDGET = 60;
const SEEDS = [...Array(10).keys()];

/** 5-D sphere shifted to (1.5, −0.5, 2, −1.5, 0.5) on [−5, 5]^5; minimum 0. */
function shiftedSphere(t: Trial): number {
  const shift = [1.5, -0.5, 2, -1.5, 0.5];
  return shift.reduce((s, c, i) => s + (t.suggestFloat(`x${i}`, -5, 5) - c) ** 2, 0);
}

/** Branin on [−5, 10] × [0, 15]; global minimum 0.397887. */
function branin(t: Trial): number {
  const x = t.suggestFloat('x', -5, 10);
  const y = t.suggestFloat('y', 0, 15);
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
}

async function best(sampler: TrialSampler, objective: (t: Trial) => number): Promise<number> {
  const s = await createStudy({ sampler });
  await s.optimize(objective, { nTrials: BUDGET });
  return s.bestValue;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return (s[4] as number) / 2 + (s[5] as number) / 2;
};

describe('TPE vs random search', () => {
  for (const [name, f] of [
    ['5-D shifted sphere', shiftedSphere],
    ['Branin', branin],
  ] as const) {
    it(`TPE has a lower median best value on ${name} (${BUDGET} trials, 10 seeds)`, async () => {
      const tpe: number[] = [];
      const mv: number[] = [];
      const rnd: number[] = [];
      for (const seed of SEEDS) {
        tpe.push(await best(new TPESampler({ seed }), f));
        mv.push(await best(new TPESampler({ seed, multivariate: true }), f));
        rnd.push(await best(new RandomSampler({ seed }), f));
      }
      const [mt, mm, mr] = [median(tpe), median(mv), median(rnd)];
      const wins = tpe.filter((v, i) => v < (rnd[i] as number)).length;
      const mvWins = mv.filter((v, i) => v < (rnd[i] as number)).length;
      console.log(
        `${name}: median best TPE ${mt.toFixed(4)}, multivariate TPE ${mm.toFixed(4)}, random ${mr.toFixed(4)}; ` +
          `gap (random − TPE) ${(mr - mt).toFixed(4)}, (random − multivariate) ${(mr - mm).toFixed(4)}; ` +
          `wins over random ${wins}/10 and ${mvWins}/10`,
      );
      expect(mt).toBeLessThan(mr);
      expect(wins).toBeGreaterThanOrEqual(6);
      expect(mm).toBeLessThan(mr);
    });
  }
});
