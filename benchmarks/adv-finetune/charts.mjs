// The charts of the adv-finetune results page that depend on the per-arm results only: test accuracy per arm
// (clean and worst-case robust) and the validation robust accuracy per epoch. Drawn from the run's results, or
// (`--render`) from the stored docs/results/adv-finetune/records.jsonl alone, without training. The schedule and
// p-selection charts are drawn from the validation selection, which a full run stores in selection.json.
import path from 'node:path';
import { meanStd, scheduleCurve } from '@ft/core';
import { barChartSvg, lineChartSvg, writeSvg } from '@ft/report';

/** Arms whose validation curves are drawn (the from-scratch adversarial trainings). */
const CURVE_ARMS = ['A', 'TRADES', 'Fast-AT'];

/**
 * The chart inputs from the stored records: arms in run order, seeds, ε, each arm's per-seed results and
 * validation curves (`arm-seed` → [{ epoch, clean, robust }]).
 * @param {object[]} records the parsed records.jsonl.
 */
export function chartInputsFromRecords(records) {
  const arms = [...new Set(records.map((r) => r.arm))];
  const seeds = [...new Set(records.map((r) => r.seed))];
  const results = records.map((r) => ({ arm: r.arm, seed: r.seed, ...r.metrics }));
  const curves = Object.fromEntries(records.map((r) => [`${r.arm}-${r.seed}`, r.extra.valCurve]));
  return { arms, seeds, eps: records[0]?.extra.eps, results, curves };
}

/**
 * Writes accuracy.svg (mean ± std over seeds of clean and robust test accuracy per arm) and val-robust-curve.svg
 * (validation robust accuracy per epoch of A, TRADES and Fast-AT) into `outDir`.
 * @param {string} outDir
 * @param {{ arms: string[], seeds: number[], eps: number, results: {arm: string, clean: number, robust: number}[],
 *   curves: Record<string, {epoch: number, robust: number}[]> }} o
 */
export async function writeResultCharts(outDir, o) {
  const of = (arm, key) => o.results.filter((r) => r.arm === arm).map((r) => r[key]);
  await writeSvg(
    path.join(outDir, 'accuracy.svg'),
    await barChartSvg({
      title: `Fashion-MNIST test accuracy, L∞ ε = ${o.eps} (mean ± std over ${o.seeds.length} seeds)`,
      bars: o.arms.flatMap((arm) =>
        [
          ['clean', 'clean'],
          ['robust', 'robust (worst case)'],
        ].map(([k, name]) => {
          const s = meanStd(of(arm, k));
          return { group: arm, name, value: 100 * s.mean, err: 100 * (Number.isNaN(s.std) ? 0 : s.std) };
        }),
      ),
      yLabel: 'accuracy (%)',
    }),
  );
  const curveSeries = CURVE_ARMS.map((arm) => {
    const byEpoch = new Map();
    for (const s of o.seeds)
      for (const p of o.curves[`${arm}-${s}`] ?? []) byEpoch.set(p.epoch, [...(byEpoch.get(p.epoch) ?? []), p.robust]);
    return {
      name: arm,
      points: [...byEpoch.entries()].map(([e, v]) => {
        const m = meanStd(v);
        return { x: e + 1, y: 100 * m.mean, yErr: Number.isNaN(m.std) ? 0 : 100 * m.std };
      }),
    };
  });
  await writeSvg(
    path.join(outDir, 'val-robust-curve.svg'),
    await lineChartSvg({
      title: 'Validation robust accuracy (PGD-10) per epoch: robust overfitting',
      series: curveSeries,
      xLabel: 'epoch',
      yLabel: 'val robust accuracy (%)',
    }),
  );
}

/**
 * Writes schedules.svg (the learning-rate schedules at their chosen peak LR) and p-selection.svg (validation robust
 * accuracy of "slow start, fast decay" against p, one line per peak LR and decay) into `outDir`.
 * @param {string} outDir
 * @param {Record<string, (cfg: object) => object>} schedules the arm → ScheduleSpec builders of the run.
 * @param {{ selSeed: number, lrGrid: number[], decayGrid: string[], chosen: Record<string, object>,
 *   selection: {arm: string, cfg: {lr: number, p?: number, decay?: string}, valRobust: number}[] }} sel
 */
export async function writeSelectionCharts(outDir, schedules, sel) {
  const T = 1000;
  const { chosen } = sel;
  await writeSvg(
    path.join(outDir, 'schedules.svg'),
    await lineChartSvg({
      title: 'Learning-rate schedules (chosen peak LR; x = fraction of the run)',
      series: ['A', 'B', 'C', 'D', 'E', 'F', 'TRADES', 'Fast-AT']
        .filter((a) => schedules[a] && (chosen[a] ?? chosen.A))
        .map((a) => {
          const c = chosen[a] ?? chosen.A;
          return {
            name: `${a}${a === 'B' ? ` (p ${c.p}, ${c.decay})` : ''}, peak ${c.lr}`,
            points: scheduleCurve(schedules[a](c), T, 101),
          };
        }),
      xLabel: 'fraction of training',
      yLabel: 'learning rate',
    }),
  );
  await writeSvg(
    path.join(outDir, 'p-selection.svg'),
    await lineChartSvg({
      title: `Choosing p for "slow start, fast decay" on validation (seed ${sel.selSeed})`,
      series: sel.decayGrid
        .flatMap((decay) =>
          sel.lrGrid.map((lr) => ({
            name: `peak ${lr}, ${decay}`,
            points: sel.selection
              .filter((s) => s.arm === 'B' && s.cfg.lr === lr && s.cfg.decay === decay)
              .map((s) => ({ x: s.cfg.p, y: 100 * s.valRobust }))
              .sort((a, b) => a.x - b.x),
          })),
        )
        .filter((s) => s.points.length > 0),
      xLabel: 'warm-up fraction p',
      yLabel: 'val robust accuracy (%)',
    }),
  );
}
