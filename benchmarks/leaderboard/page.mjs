// The leaderboard's results page (docs/results/leaderboard.md) and its plots, from the records alone.
import fs from 'node:fs';
import path from 'node:path';
import { meanStd } from '@ft/core';
import {
  formatMeanStd,
  formatPairedGain,
  lineChartSvg,
  machineInfo,
  markdownTable,
  pairedGain,
  resultsPage,
  writeSvg,
} from '@ft/report';

const pct = (xs) => meanStd(xs.map((x) => 100 * x));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : Number.NaN;
};
const KIND_MARK = { supervised: '', unlabelled: ' †', robust: ' ‡' };

/**
 * The main runs of the current code: with `currentTags` (method → the tag of the code now in the tree) only records
 * under that tag count, so runs made by older code never mix in; without it, the newest tag of each (method, budget).
 */
export function currentMain(records, currentTags) {
  const main = records.filter((r) => r.phase === 'main');
  if (currentTags) return main.filter((r) => currentTags[r.method] === r.tag);
  const newest = new Map(); // method|budget → tag of the last record
  for (const r of main) newest.set(`${r.method}|${r.budget}`, r.tag);
  return main.filter((r) => newest.get(`${r.method}|${r.budget}`) === r.tag);
}

/** The claims the leaderboard tests, each against its own baseline (same trainer where the claim is about an add-on). */
export const CLAIMS = [
  { id: 'l2sp', base: 'finetune', what: 'L2-SP beats full fine-tuning (Li, Grandvalet & Davoine, ICML 2018)' },
  { id: 'adafilter', base: 'finetune', what: 'AdaFilter beats full fine-tuning (Guo et al., AAAI 2020)' },
  {
    id: 'sup-akc-arc',
    base: 'ssl-supervised',
    what: 'AKC/ARC improve supervised fine-tuning, same trainer (Abuduweili et al., CVPR 2021)',
  },
  { id: 'fixmatch-akc-arc', base: 'fixmatch', what: 'AKC/ARC improve FixMatch (Abuduweili et al., CVPR 2021)' },
  {
    id: 'fixmatch',
    base: 'ssl-supervised',
    what: 'FixMatch with unlabelled images beats supervised fine-tuning, same trainer (Sohn et al., NeurIPS 2020)',
  },
  {
    id: 'adv-finetune',
    base: 'finetune',
    metric: 'robustAccuracy',
    what: 'adversarial fine-tuning buys robust accuracy over full fine-tuning (Jeddi et al., 2020)',
  },
];

/** A claim's verdict from its paired gains per budget: beyond the spread at every budget, at some, or a clear loss. */
export function claimVerdict(gains) {
  const real = gains.filter((g) => g && g.n > 1);
  if (!real.length) return 'inconclusive';
  const wins = real.filter((g) => g.mean - g.std > 0).length;
  const losses = real.filter((g) => g.mean + g.std < 0).length;
  if (wins === gains.length) return 'reproduced';
  if (wins > 0) return 'partly';
  return losses > 0 ? 'not' : 'inconclusive';
}

/** The page's verdict over the claims' verdicts. */
export function overallVerdict(verdicts) {
  if (verdicts.length && verdicts.every((v) => v === 'reproduced')) return 'reproduced';
  if (verdicts.some((v) => v === 'reproduced' || v === 'partly')) return 'partly';
  if (verdicts.length && verdicts.every((v) => v === 'not')) return 'not';
  return 'inconclusive';
}

/**
 * The pick at one budget: the method with the best mean test accuracy among `candidates` (entries), and whether its
 * paired gain over the runner-up exceeds the seed spread. Null when fewer than one candidate has runs.
 */
export function pickAt(main, candidates, budget) {
  const rows = candidates
    .map((e) => ({ e, rs: main.filter((r) => r.method === e.id && r.budget === budget) }))
    .filter((x) => x.rs.length)
    .map((x) => ({ ...x, s: pct(x.rs.map((r) => r.testAccuracy)) }))
    .sort((a, b) => b.s.mean - a.s.mean);
  if (!rows.length) return null;
  const [best, second] = rows;
  const vs = second
    ? pairedGain(
        best.rs.map((r) => ({ seed: r.seed, value: r.testAccuracy })),
        second.rs.map((r) => ({ seed: r.seed, value: r.testAccuracy })),
        100,
      )
    : null;
  return { best, second, vs, clear: Boolean(vs && vs.n > 1 && vs.mean - vs.std > 0) };
}

/** The validation score of the chosen trial: clean accuracy, or robust / clean for robust selection. */
function selectedScore(t, e) {
  if (!t) return '–';
  return e.selectOn === 'robust'
    ? `${(100 * t.valRobust).toFixed(1)} robust / ${(100 * t.valAccuracy).toFixed(1)} clean`
    : (100 * t.valAccuracy).toFixed(1);
}

/** A Markdown table from column specs (`header`, `align`) and rows given as arrays of cells, in column order. */
export function table(columns, rows) {
  const cols = columns.map((c, i) => ({ ...c, key: `c${i}` }));
  return markdownTable(
    rows.map((cells) => Object.fromEntries(cells.map((v, i) => [`c${i}`, v]))),
    cols,
  );
}

/** Writes the page and its SVGs into `out` (docs/results). */
export async function writePage({ records, entries, cfg, currentTags, packed, command, out, log }) {
  const main = currentMain(records, currentTags);
  const stale = records.filter((r) => r.phase === 'main').length - main.length;
  const budgets = cfg.budgets.filter((k) => main.some((r) => r.budget === k));
  const shown = entries.filter((e) => main.some((r) => r.method === e.id));
  const cellOf = (id, k) => main.filter((r) => r.method === id && r.budget === k);
  const seeds = [...new Set(main.map((r) => r.seed))].sort((a, b) => a - b);
  const dir = path.join(out, 'leaderboard');
  fs.mkdirSync(dir, { recursive: true });

  // accuracy table
  const bestSupervised = Object.fromEntries(
    budgets.map((k) => [
      k,
      pickAt(
        main,
        entries.filter((e) => e.kind === 'supervised'),
        k,
      )?.best.e.id,
    ]),
  );
  const accRows = shown.map((e) => [
    `${e.label}${KIND_MARK[e.kind]}`,
    ...budgets.map((k) => {
      const rs = cellOf(e.id, k);
      if (!rs.length) return '–';
      const s = formatMeanStd(pct(rs.map((r) => r.testAccuracy)));
      return bestSupervised[k] === e.id ? `**${s}**` : s;
    }),
  ]);
  const accTable = table(
    [{ header: 'method' }, ...budgets.map((k) => ({ header: `${k} labels/class`, align: 'right' }))],
    accRows,
  );

  // paired gains over full fine-tuning
  const ft = (k) => cellOf('finetune', k).map((r) => ({ seed: r.seed, value: r.testAccuracy }));
  const gainTable = table(
    [
      { header: 'gain over full fine-tuning (points)' },
      ...budgets.map((k) => ({ header: `${k}/class`, align: 'right' })),
    ],
    shown
      .filter((e) => e.id !== 'finetune')
      .map((e) => [
        `${e.label}${KIND_MARK[e.kind]}`,
        ...budgets.map((k) =>
          formatPairedGain(
            pairedGain(
              cellOf(e.id, k).map((r) => ({ seed: r.seed, value: r.testAccuracy })),
              ft(k),
              100,
            ),
          ),
        ),
      ]),
  );

  // robustness
  const robustEntries = shown.filter((e) => main.some((r) => r.method === e.id && r.robustAccuracy !== undefined));
  const robustTable = table(
    [
      { header: 'method' },
      ...budgets.flatMap((k) => [
        { header: `clean, ${k}/class`, align: 'right' },
        { header: `robust, ${k}/class`, align: 'right' },
      ]),
    ],
    robustEntries.map((e) => [
      e.label,
      ...budgets.flatMap((k) => {
        const rs = cellOf(e.id, k).filter((r) => r.robustAccuracy !== undefined);
        return rs.length
          ? [formatMeanStd(pct(rs.map((r) => r.robustClean))), formatMeanStd(pct(rs.map((r) => r.robustAccuracy)))]
          : ['–', '–'];
      }),
    ]),
  );

  // cost
  const kMax = budgets[budgets.length - 1];
  const costRows = shown.map((e) => {
    const at = cellOf(e.id, kMax);
    const med = (f) => (at.length ? median(at.map(f)) : Number.NaN);
    return [
      `${e.label}${KIND_MARK[e.kind]}`,
      `${med((r) => r.steps)}`,
      med((r) => r.trainSeconds).toFixed(1),
      (med((r) => r.passes.train) / 1000).toFixed(1),
      (med((r) => r.passes.forwardOnly) / 1000).toFixed(1),
      med((r) => r.evalSeconds).toFixed(1),
    ];
  });
  const costTable = table(
    [
      { header: `method (${kMax} labels/class)` },
      { header: 'steps', align: 'right' },
      { header: 'training s / run', align: 'right' },
      { header: 'training passes (k)', align: 'right' },
      { header: 'forward-only passes (k)', align: 'right' },
      { header: 'evaluation s / run', align: 'right' },
    ],
    costRows,
  );

  // selection
  const sel = records.filter((r) => r.phase === 'select');
  const selRows = budgets.flatMap((k) =>
    shown.flatMap((e) => {
      const m = cellOf(e.id, k)[0];
      if (!m) return [];
      const trials = sel.filter((r) => r.method === e.id && r.budget === k && r.tag === m.tag && !r.failed);
      const chosen = trials.find((t) => t.trial === m.selectTrial);
      const tied = chosen ? trials.filter((t) => t.valAccuracy === chosen.valAccuracy).length : 0;
      const failed = sel.filter((r) => r.method === e.id && r.budget === k && r.tag === m.tag && r.failed).length;
      const fmt = (p) =>
        Object.entries(p)
          .map(([n, v]) => `${n} ${Number(v).toPrecision(2)}`)
          .join(', ');
      return [
        [
          `${k}`,
          e.label,
          `${trials.length}${failed ? ` (+${failed} failed)` : ''}`,
          fmt(m.params),
          selectedScore(chosen, e),
          `${tied}`,
          m.edges?.length ? `**edge: ${m.edges.join(', ')}**` : '',
        ],
      ];
    }),
  );
  const selTable = table(
    [
      { header: 'labels/class' },
      { header: 'method' },
      { header: 'trials', align: 'right' },
      { header: 'chosen' },
      { header: 'validation %', align: 'right' },
      { header: 'trials tied on accuracy', align: 'right' },
      { header: '' },
    ],
    selRows,
  );

  // recommendations
  const supervised = entries.filter((e) => e.kind === 'supervised');
  const withUnlabelled = entries.filter((e) => e.kind !== 'robust');
  const say = (p, what) => {
    if (!p) return `no runs ${what}`;
    const s = `${p.best.e.label} (${formatMeanStd(p.best.s)}%)`;
    if (!p.second) return `${s} ${what}`;
    return p.clear
      ? `${s} ${what}: ahead of ${p.second.e.label} by ${formatPairedGain(p.vs)} points, beyond the seed spread`
      : `${s} ${what}, but ${p.second.e.label} (${formatMeanStd(p.second.s)}%) is within the seed spread (${formatPairedGain(p.vs)}), so pick the cheaper of the two (see the cost table)`;
  };
  const recs = budgets.map((k) => {
    const a = pickAt(main, supervised, k);
    const b = pickAt(main, withUnlabelled, k);
    const parts = [`**${k} labels/class:** ${say(a, 'with the labelled images only')}.`];
    if (b && a && b.best.e.id !== a.best.e.id) parts.push(`With unlabelled images too: ${say(b, '')}.`);
    const adv = cellOf('adv-finetune', k);
    const ftk = cellOf('finetune', k);
    if (adv.length && ftk.length && adv[0].robustAccuracy !== undefined && ftk[0].robustAccuracy !== undefined)
      parts.push(
        `For robustness (PGD, ε = ${cfg.eps}): adversarial fine-tuning reaches ${formatMeanStd(pct(adv.map((r) => r.robustAccuracy)))}% robust accuracy against ${formatMeanStd(pct(ftk.map((r) => r.robustAccuracy)))}% for full fine-tuning, at ${formatPairedGain(
          pairedGain(
            adv.map((r) => ({ seed: r.seed, value: r.testAccuracy })),
            ftk.map((r) => ({ seed: r.seed, value: r.testAccuracy })),
            100,
          ),
        )} points of clean accuracy.`,
      );
    return parts.join(' ');
  });

  // verdict: each claim against its own baseline, paired by seed
  const gainOf = (id, base, k, metric = 'testAccuracy') =>
    pairedGain(
      cellOf(id, k)
        .filter((r) => r[metric] !== undefined)
        .map((r) => ({ seed: r.seed, value: r[metric] })),
      cellOf(base, k)
        .filter((r) => r[metric] !== undefined)
        .map((r) => ({ seed: r.seed, value: r[metric] })),
      100,
    );
  const label = (id) => entries.find((e) => e.id === id)?.label ?? id;
  const claims = CLAIMS.filter((c) => main.some((r) => r.method === c.id) && main.some((r) => r.method === c.base)).map(
    (c) => {
      const gains = budgets.map((k) => gainOf(c.id, c.base, k, c.metric));
      return { ...c, gains, verdict: claimVerdict(gains) };
    },
  );
  const verdict = overallVerdict(claims.map((c) => c.verdict));
  const VERDICT_WORD = {
    reproduced: 'reproduced',
    partly: 'partly',
    not: 'not reproduced',
    inconclusive: 'inconclusive',
  };
  const claimTable = table(
    [
      { header: 'claim (method vs its baseline)' },
      ...budgets.map((k) => ({ header: `${k}/class`, align: 'right' })),
      { header: 'verdict' },
    ],
    claims.map((c) => [
      `${c.what}: ${label(c.id)} vs ${label(c.base)}${c.metric === 'robustAccuracy' ? ' (robust accuracy)' : ''}`,
      ...c.gains.map((g) => formatPairedGain(g)),
      VERDICT_WORD[c.verdict],
    ]),
  );
  const evidence = [
    ...claims.map(
      (c) =>
        `${c.what}: **${VERDICT_WORD[c.verdict]}** (${label(c.id)} vs ${label(c.base)}, paired gain in points per budget: ${budgets.map((k, i) => `${k}/class ${formatPairedGain(c.gains[i])}`).join('; ')}).`,
    ),
    ...recs,
  ];

  // plots
  const images = {};
  const plot = async (section, file, alt, svg) => {
    await writeSvg(path.join(dir, file), svg);
    images[section] = [...(images[section] ?? []), { path: `leaderboard/${file}`, alt }];
  };
  const series = shown
    .map((e) => ({
      name: `${e.label}${KIND_MARK[e.kind]}`,
      points: budgets.flatMap((k) => {
        const rs = cellOf(e.id, k);
        if (!rs.length) return [];
        const s = pct(rs.map((r) => r.testAccuracy));
        return [{ x: k, y: s.mean, ...(s.n > 1 ? { yErr: s.std } : {}) }];
      }),
    }))
    .filter((s) => s.points.length);
  if (series.length && budgets.length > 1)
    await plot(
      'accuracy',
      'accuracy-vs-labels.svg',
      'Test accuracy against labels per class',
      await lineChartSvg({
        title: 'Fashion-MNIST test accuracy from the MNIST-digit ResNet-8 (mean ± std over seeds)',
        series,
        logX: true,
        errorStyle: 'bars',
        xLabel: 'labels per class (log scale)',
        yLabel: 'test accuracy (%)',
        width: 640,
        height: 340,
      }),
    );
  const points = shown.flatMap((e) =>
    budgets.flatMap((k) => {
      const rs = cellOf(e.id, k);
      if (!rs.length) return [];
      return [
        {
          method: `${e.label}${KIND_MARK[e.kind]}`,
          budget: `${k}/class`,
          seconds: median(rs.map((r) => r.trainSeconds)),
          accuracy: pct(rs.map((r) => r.testAccuracy)).mean,
        },
      ];
    }),
  );
  if (points.length)
    await plot(
      'cost',
      'accuracy-vs-compute.svg',
      'Test accuracy against training wall time',
      await lineChartSvg({
        // One budget: every method trains the same number of steps at every budget, so its time barely moves with
        // the labels and lines through the budgets would zigzag; the largest budget matches the compute table.
        title: `Test accuracy against training time per run at ${budgets.at(-1)} labels/class (mean ± std over seeds)`,
        series: shown
          .map((e) => {
            const rs = cellOf(e.id, budgets.at(-1));
            if (!rs.length) return null;
            const s = pct(rs.map((r) => r.testAccuracy));
            const x = median(rs.map((r) => r.trainSeconds));
            return {
              name: `${e.label}${KIND_MARK[e.kind]}`,
              points: [{ x, y: s.mean, ...(s.n > 1 ? { yErr: s.std } : {}) }],
            };
          })
          .filter(Boolean),
        errorStyle: 'bars',
        logX: true,
        xLabel: 'training seconds per run (median over seeds, log scale)',
        yLabel: 'test accuracy (%)',
        width: 640,
        height: 340,
      }),
    );

  const commits = [...new Set(main.map((r) => r.commit).filter(Boolean))];
  const pkgLines = Object.entries(packed ?? {})
    .map(([n, v]) => `\`${n}@${v.version}\` (content ${v.digest})`)
    .join(', ');
  const backends = [...new Set(main.map((r) => r.backend))];
  const page = resultsPage({
    title:
      'Leaderboard: few-label transfer from the MNIST-digit ResNet-8 to Fashion-MNIST, every method under one protocol',
    command,
    backend: backends.join(', '),
    machine: machineInfo(),
    date: new Date(),
    seeds,
    claim:
      'Each method package claims a gain over plain full fine-tuning when labels are few: L2-SP (Li, Grandvalet & Davoine, ICML 2018), AdaFilter (Guo et al., AAAI 2020: 2.54 points less error), AKC/ARC on supervised fine-tuning and on FixMatch (Abuduweili et al., CVPR 2021), FixMatch itself with unlabelled images (Sohn et al., NeurIPS 2020); adversarial fine-tuning (Jeddi et al., 2020) claims robustness for a small clean cost. Here every one of them runs on the same splits, the same step budget and the same number of tuning trials.',
    verdict,
    evidence,
    sections: [
      {
        title: 'Test accuracy (%)',
        body: `Full 10,000-image Fashion-MNIST test set, mean ± std over seeds ${seeds.join(', ')}; bold: the best method that uses the labelled images only. † also trains on unlabelled training images; ‡ adversarial training (clean accuracy here, robust accuracy below).\n\n${accTable}`,
        images: images.accuracy,
      },
      { title: 'Which method to pick', body: recs.map((r) => `- ${r}`).join('\n') },
      {
        title: 'Each claim against its own baseline',
        body: `Paired gain in points (test accuracy, or robust accuracy for adversarial fine-tuning), by seed on the same split: mean ± std (seeds ahead). A claim is reproduced where the gain exceeds its spread at every budget, partly at some, not where it never does and falls short beyond the spread somewhere. The AKC/ARC and FixMatch claims are judged against the ssl-transfer trainer without them (imprinted head, its schedule and loaders), not against \`trainClassifier\`'s fine-tuning, so that only the add-on differs.\n\n${claimTable}`,
      },
      {
        title: 'Paired gain over full fine-tuning',
        body: `Test accuracy minus full fine-tuning's, paired by seed (the same split), in points: mean ± std (seeds where the method is ahead).\n\n${gainTable}`,
      },
      {
        title: 'Robustness',
        body: `Clean and robust accuracy (%) on the same first ${cfg.robustN} test images; robust is the per-example worst case (AutoAttack's convention) of L∞ PGD (ε = ${cfg.eps}, ${cfg.evalAttackSteps} steps of ε/4, random start) and APGD-CE (${cfg.evalAttackSteps} steps). **Cut:** no APGD-DLR, FAB or Square and no gradient-masking checks here (the adv-finetune page runs them), so these robust figures are upper bounds. Full fine-tuning is the reference.\n\n${robustTable}`,
      },
      {
        title: 'Compute',
        body: `At the largest budget, medians over seeds: optimizer steps, training wall time per run (evaluation apart; on a shared 2-core machine, so read ratios, not absolutes), training passes (one image through a forward and a backward pass = 1, counted from the images each loader really feeds; an attack step counts as a pass, as in Jeddi et al.; AdaFilter's passes run both filter banks, about 2× the multiply-accumulates of the others; FixMatch's weak and strong views both go through the training forward), forward-only passes (AKC's frozen source), and evaluation seconds (validation and test; for full fine-tuning and adversarial fine-tuning also the attacks).\n\n${costTable}`,
        images: images.cost,
      },
      {
        title: 'Hyperparameter selection (validation only)',
        body: `Every method gets ${cfg.trials} trials per budget from an \`@ft/hparams\` TPE study (seeded; with ${cfg.trials} trials TPE is still in its random start-up, so this is a seeded random search over each method's space), scored on the validation images of a split drawn with seed ${cfg.selectSeed} (not an evaluation seed); no test image is scored while selecting. The studies are in \`leaderboard/studies.journal\` (Optuna's journal format). Learning rates are searched log-uniformly in [0.001, 0.3] ([0.001, 1] for the linear probe), L2-SP's α in [1e-4, 0.1] (β = 0.01); adversarial fine-tuning is selected on robust validation accuracy (ties broken by clean accuracy), the others on clean. A choice within 5% of its range's end is flagged **edge**.\n\n${selTable}`,
      },
      {
        title: 'Setup, and every cut',
        body: [
          `- **Packages as published:** the runs were made from ${commits.length ? `the workspace at commit ${commits.map((c) => `\`${c}\``).join(', ')}` : 'the packages whose content digests are listed below (each record carries the tag of those digests; its commit was not recorded)'}: every package packed with \`pnpm pack\` (the tarball \`pnpm publish\` uploads), published to a local Verdaccio registry and installed by name and version with npm into \`.cache/leaderboard/app\`, where the runs import them; nothing is imported from the workspace. The runs shown are those of the code now in the tree (${pkgLines}); ${stale} runs recorded by older code are kept in the records and left out.`,
          `- **Source:** \`${cfg.source}\` (ResNet-8, 78k parameters, trained on the MNIST digits). **Target:** Fashion-MNIST, 10 classes.`,
          `- **Splits (the same for every method):** per seed, core \`budgetSplit\`: K labels per class drawn class-balanced, of which max(1, ⌊K/4⌋) per class are held out for validation (so K = 4 trains on 3 per class); the semi-supervised methods also see the first ${cfg.unlabeledLimit.toLocaleString('en')} other training images, unlabelled.`,
          `- **Training budget:** ${cfg.steps} optimizer steps for every method (adversarial fine-tuning trains in whole epochs: the nearest count, shown in the compute table), ${cfg.batch} labelled images per step (fewer when the budget is smaller); FixMatch and AKC/ARC ${cfg.sslBatch.labeled} labelled + ${cfg.sslBatch.unlabeled} unlabelled per step. Each method runs its package's own defaults otherwise (augmentation, schedule, weight decay). **Cut:** the semi-supervised methods use their final weights without the EMA teacher (over ${cfg.steps} steps the teacher lags; see ssl-transfer.md), and adversarial fine-tuning trains against PGD-${cfg.trainAttackSteps} (ε = ${cfg.eps}, step 2.5ε/${cfg.trainAttackSteps}).`,
          '- **Cuts against the papers:** 28×28 grey images and a small network, short schedules, 3 seeds; absolute accuracies are not comparable with the papers, the ranking under equal budgets is the point.',
          `- **Total:** ${records.length} records (${records.filter((r) => r.phase === 'select').length} selection trials, ${records.filter((r) => r.phase === 'main').length} runs), ${(records.reduce((a, r) => a + (r.trainSeconds ?? 0) + (r.evalSeconds ?? 0), 0) / 3600).toFixed(1)} h of training and evaluation.`,
        ].join('\n'),
      },
    ],
  });
  fs.writeFileSync(path.join(out, 'leaderboard.md'), page);
  log(`[leaderboard] wrote ${path.join(out, 'leaderboard.md')} (${verdict})`);
}
