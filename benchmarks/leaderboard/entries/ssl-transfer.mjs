// Leaderboard entries of @ft/ssl-transfer (Abuduweili et al., CVPR 2021): its supervised trainer alone (the baseline
// of the AKC/ARC claim) and with AKC and ARC, and FixMatch (Sohn et al. 2020) with and without them. All but the
// plain supervised one also read unlabelled Fashion-MNIST images.
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
  // One target forward over the labelled batch (drawn with replacement: always full) and the unlabelled views the
  // algorithm reads, all inside the gradient tape: FixMatch reads two views (weak and strong), supervised with
  // AKC/ARC one (weak), plain supervised none. AKC also runs the frozen source over the same images, forward only.
  const views = alg === 'fixmatch' ? 2 : akc || arc ? 1 : 0;
  const perStep = batch.labeled + views * batch.unlabeled;
  const train = ctx.cfg.steps * perStep;
  const forwardOnly = akc ? ctx.cfg.steps * perStep : 0;
  return { model: r.model, passes: { train, forwardOnly }, dispose: () => r.dispose() };
}

const space = (trial) => ({ lr: trial.suggestFloat('lr', 1e-3, 0.3, { log: true }) });

/** @type {import('../entry.mjs').Entry[]} */
export const entries = [
  {
    // the baseline of the AKC/ARC claim: the same trainer (imprinted head, schedule, loaders) without them
    id: 'ssl-supervised',
    label: 'supervised (ssl-transfer trainer)',
    pkg: '@ft/ssl-transfer',
    kind: 'supervised',
    space,
    train: (ctx, p) => sslRun(ctx, p, { alg: 'supervised', akc: false, arc: false }),
  },
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
