// Leaderboard entries of @ft/ssl-transfer (Abuduweili et al., CVPR 2021): supervised fine-tuning with AKC and ARC,
// and FixMatch (Sohn et al. 2020) with and without them. They also train on unlabelled Fashion-MNIST images.
import { trainSslTransfer } from '@ft/ssl-transfer';

/** One trainSslTransfer run at the protocol's steps; the final weights (no EMA teacher: see the page's cuts). */
async function sslRun(ctx, { lr }, { alg, akc, arc }) {
  const batch = ctx.cfg.sslBatch;
  const r = await trainSslTransfer({
    source: ctx.source,
    labeled: ctx.split.labeled,
    unlabeled: ctx.split.unlabeled,
    validation: ctx.split.validation,
    alg,
    akc,
    arc,
    iterations: ctx.cfg.steps,
    evalEvery: ctx.cfg.steps,
    batch,
    lr,
    ema: false,
    select: 'last',
    seed: ctx.seed,
    log: () => {},
  });
  const L = Math.min(batch.labeled, ctx.split.labeled.size);
  const U = batch.unlabeled;
  // forward and backward per step: the labelled batch and the unlabelled batch (FixMatch's strong view, ARC's
  // features); forward only: FixMatch's weak view, and the frozen source on both batches for AKC
  const train = ctx.cfg.steps * (L + (alg === 'fixmatch' || arc ? U : 0));
  const forwardOnly = ctx.cfg.steps * ((alg === 'fixmatch' ? U : 0) + (akc ? L + U : 0));
  return { model: r.model, passes: { train, forwardOnly }, dispose: () => r.dispose() };
}

const space = (trial) => ({ lr: trial.suggestFloat('lr', 1e-3, 0.3, { log: true }) });

/** @type {import('../entry.mjs').Entry[]} */
export const entries = [
  {
    id: 'sup-akc-arc',
    label: 'supervised + AKC/ARC',
    pkg: '@ft/ssl-transfer',
    kind: 'unlabelled',
    space,
    train: (ctx, p) => sslRun(ctx, p, { alg: 'supervised', akc: true, arc: true }),
  },
  {
    id: 'fixmatch',
    label: 'FixMatch',
    pkg: '@ft/ssl-transfer',
    kind: 'unlabelled',
    space,
    train: (ctx, p) => sslRun(ctx, p, { alg: 'fixmatch', akc: false, arc: false }),
  },
  {
    id: 'fixmatch-akc-arc',
    label: 'FixMatch + AKC/ARC',
    pkg: '@ft/ssl-transfer',
    kind: 'unlabelled',
    space,
    train: (ctx, p) => sslRun(ctx, p, { alg: 'fixmatch', akc: true, arc: true }),
  },
];
