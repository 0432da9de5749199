// The cut run's charts (2026-11-28) on the mahalanobis-ad results page: per-epoch AUROC change curves of each
// Mahalanobis fine-tuning configuration and the one-class AUROC bars per arm, drawn from the stored
// docs/results/mahalanobis-ad/records-cut.jsonl (`run.mjs --render-cut`); page.mjs also reads the cut run's tables
// through chartInputsFromRecords. The re-run's own charts are drawn by page.mjs.
import path from 'node:path';
import { meanStd } from '@ft/core';
import { barChartSvg, lineChartSvg, writeSvg } from '@ft/report';

/** The datasets' names on the page. */
export const DATASET_LABELS = { 'fashion-mnist': 'Fashion-MNIST', mnist: 'MNIST' };
/** The fine-tuning configurations' names on the page, in the order they run. */
export const FT_LABELS = { ft: 'Mahalanobis FT', euclid: 'Euclidean FT', fast: 'Mahalanobis FT, fast schedule' };
/** The augmentation families of the per-family validation. */
export const FAMILIES = ['mixup', 'cutmix', 'cutout', 'cutpaste', 'augmix'];
/** Arms of the bar chart: summary key → legend name. */
const BAR_ARMS = [
  ['raw', 'raw pixels'],
  ['sum', 'frozen, sum (LW)'],
  ['empirical', 'frozen, sum (empirical)'],
  ['ft-earlyStopped', 'FT early-stopped'],
  ['ft-last', 'FT last epoch'],
  ['euclid-earlyStopped', 'Euclidean FT early-stopped'],
];

const mean = (v) => v.reduce((a, x) => a + x, 0) / v.length;

/**
 * Per-seed means over classes, so the ± is the spread over seeds of the class-mean.
 * @param {Record<string, Record<string, Record<string, number[]>>>} summary dataset → arm → class → values by seed.
 */
export function classMean(summary, ds, arm) {
  const per = summary[ds]?.[arm];
  if (!per) return [];
  const cs = Object.keys(per);
  const nSeeds = Math.min(...cs.map((c) => per[c].length));
  return Array.from({ length: nSeeds }, (_, k) => mean(cs.map((c) => per[c][k])));
}

/** One fine-tuning run's curves from its per-epoch history: validation, test, and per-family validation AUROC. */
export function runCurves(history, withFamilies) {
  return {
    val: history.map((e) => e.valAUROC),
    test: history.map((e) => e.monitorAUROC),
    fam: withFamilies ? Object.fromEntries(FAMILIES.map((f) => [f, history.map((e) => e.extraValAUROC[f])])) : null,
  };
}

/**
 * The chart inputs rebuilt from the stored records, in the order the run wrote them: `summary` (dataset → arm →
 * class → values by seed, as the run's `add` builds it), `curves` (`ds/cfg` → runs), `configsRun` (dataset →
 * configurations with curves), `datasets` and `nFit` (the fitted normals of the frozen arm, 80 % of the run's --n).
 * @param {object[]} records the parsed records.jsonl.
 */
export function chartInputsFromRecords(records) {
  const summary = {};
  const curves = {};
  const configsRun = {};
  const datasets = [];
  const add = (ds, arm, c, v) => {
    summary[ds] ??= {};
    summary[ds][arm] ??= {};
    summary[ds][arm][c] ??= [];
    summary[ds][arm][c].push(v);
  };
  for (const r of records) {
    const [ds, cls] = r.dataset.split('/');
    if (!(ds in DATASET_LABELS)) continue; // the synthetic MVTec set has no chart
    if (!datasets.includes(ds)) datasets.push(ds);
    const c = cls.replace(/^class-/, '');
    if (r.arm.startsWith('frozen')) {
      const suffix = r.arm.slice('frozen'.length);
      for (const [k, v] of Object.entries(r.metrics)) add(ds, `${k}${suffix}`, c, v);
      continue;
    }
    for (const [k, v] of Object.entries(r.metrics)) add(ds, `${r.arm}-${k}`, c, v);
    const history = r.extra.history;
    const ck = `${ds}/${r.arm}`;
    curves[ck] ??= [];
    curves[ck].push(
      runCurves(
        history,
        history.every((e) => e.extraValAUROC !== undefined),
      ),
    );
    configsRun[ds] ??= [];
    if (!configsRun[ds].some((cfg) => cfg.key === r.arm)) {
      configsRun[ds].push({ key: r.arm, label: FT_LABELS[r.arm] ?? r.arm, loss: r.extra.loss });
    }
  }
  const order = Object.keys(FT_LABELS);
  for (const ds of datasets) configsRun[ds]?.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  // The run's N: its --n flag, else the default (1000; 250 with --quick); 80 % of it are fitted.
  const command = records[0]?.command ?? '';
  const n = /--n[= ](\d+)/.exec(command)?.[1];
  const N = Number(n ?? (/--quick\b/.test(command) ? 250 : 1000));
  return { summary, curves, configsRun, datasets, nFit: Math.round(0.8 * N) };
}

/**
 * Writes the curve charts (one per Mahalanobis fine-tuning configuration with runs) and the arms bar chart under
 * `out`/mahalanobis-ad/, and returns the page's images.
 * @param {{ out: string, datasets: string[], configsRun: Record<string, {key: string, label: string, loss: string}[]>,
 *   curves: Record<string, {val: number[], test: number[], fam: Record<string, number[]> | null}[]>,
 *   summary: object, nFit: number }} o
 */
export async function writeCharts(o) {
  const images = [];
  for (const ds of o.datasets) {
    for (const cfg of o.configsRun[ds] ?? []) {
      const cv = o.curves[`${ds}/${cfg.key}`];
      if (!cv?.length || cfg.loss !== 'mahalanobis') continue;
      const series = [];
      const band = (name, get) => {
        const E = Math.min(...cv.map((r) => r.test.length));
        series.push({
          name,
          points: Array.from({ length: E }, (_, e) => {
            const v = cv.map((r) => 100 * (get(r)[e] - get(r)[0]));
            const ms = meanStd(v);
            return { x: e, y: ms.mean, yErr: Number.isFinite(ms.std) ? ms.std / Math.sqrt(v.length) : 0 };
          }),
        });
      };
      band('test AUROC', (r) => r.test);
      band('val pseudo-AUROC (all families)', (r) => r.val);
      const famRuns = cv.filter((r) => r.fam);
      if (famRuns.length === cv.length) for (const f of FAMILIES) band(`val ${f}`, (r) => r.fam[f]);
      const file = `mahalanobis-ad/curves-${ds}-${cfg.key}.svg`;
      await writeSvg(
        path.join(o.out, file),
        await lineChartSvg({
          title: `${DATASET_LABELS[ds]}, ${cfg.label}: change since epoch 0 (mean ± SEM, ${cv.length} runs)`,
          series,
          xLabel: 'epoch (0 = frozen backbone)',
          yLabel: 'Δ AUROC (points)',
        }),
      );
      images.push({ path: file, alt: `${ds} ${cfg.key}: validation and test AUROC change per epoch` });
    }
  }
  const bars = [];
  for (const ds of o.datasets) {
    for (const [k, name] of BAR_ARMS) {
      const v = classMean(o.summary, ds, k);
      if (!v.length) continue;
      const ms = meanStd(v);
      bars.push({
        group: DATASET_LABELS[ds],
        name,
        value: 100 * ms.mean,
        err: Number.isFinite(ms.std) ? 100 * ms.std : 0,
      });
    }
  }
  // Bars start at 0: AUROC differences of a point or two read off the error bars and the page's tables.
  await writeSvg(
    path.join(o.out, 'mahalanobis-ad/arms.svg'),
    await barChartSvg({
      title: `One-class AUROC, n = ${o.nFit}, mean over classes (± std over seeds)`,
      bars,
      yLabel: 'AUROC (%)',
    }),
  );
  return images;
}
