// Leaderboard entry of @ft/adv-finetune: adversarial fine-tuning with "slow start, fast decay" (Jeddi et al., arXiv
// 2012.13628), PGD-AT on the labelled images; it buys robust accuracy with clean accuracy, so both are reported.
import { APGD, adversarialFinetune, evaluateRobustness, PassCounter, PGD, slowStartFastDecay } from '@ft/adv-finetune';
import { createRng, subset } from '@ft/core';
import { batchFor } from '../protocol.mjs';
import { transferModel } from '../transfer-model.mjs';

/**
 * Clean and robust accuracy on the first robustN images of `data`: robust is the per-example worst case of L∞ PGD
 * (ε, evalAttackSteps steps of ε/4, random start) and APGD-CE (evalAttackSteps steps), AutoAttack's convention.
 */
export async function robustAccuracy(model, data, cfg) {
  const n = Math.min(cfg.robustN, data.size);
  const few = subset(
    data,
    Array.from({ length: n }, (_, i) => i),
  );
  const attacks = [
    new PGD(model, { eps: cfg.eps, alpha: cfg.eps / 4, steps: cfg.evalAttackSteps }),
    new APGD(model, { eps: cfg.eps, steps: cfg.evalAttackSteps }),
  ];
  const r = await evaluateRobustness(model, few, { attacks, rng: createRng(0) });
  return { accuracy: r.worstCase, clean: r.clean, n };
}

/** @type {import('../entry.mjs').Entry[]} */
export const entries = [
  {
    id: 'adv-finetune',
    label: 'adversarial fine-tuning',
    pkg: '@ft/adv-finetune',
    kind: 'robust',
    selectOn: 'robust',
    space: (trial) => ({ lr: trial.suggestFloat('lr', 1e-3, 0.3, { log: true }) }),
    async train(ctx, { lr }) {
      const { model, dispose } = await transferModel(ctx, 'full');
      try {
        const n = ctx.split.labeled.size;
        const batch = batchFor(n, ctx.cfg);
        const counter = new PassCounter();
        const s = ctx.cfg.trainAttackSteps;
        const r = await adversarialFinetune(model, ctx.split.labeled, {
          attack: new PGD(model, { eps: ctx.cfg.eps, alpha: (2.5 * ctx.cfg.eps) / s, steps: s }),
          // epochs of ⌈n/batch⌉ steps: as close to the protocol's step count as whole epochs allow (recorded)
          epochs: Math.max(1, Math.round(ctx.cfg.steps / Math.ceil(n / batch))),
          batchSize: batch,
          schedule: slowStartFastDecay({ peakLr: lr, warmFraction: 0.7 }),
          rng: createRng(ctx.seed).fork('leaderboard-adv'),
          counter,
        });
        const p = counter.snapshot();
        return { model, passes: { train: p.total, forwardOnly: p.forwardOnly }, steps: r.steps, dispose };
      } catch (e) {
        dispose();
        throw e;
      }
    },
  },
];
