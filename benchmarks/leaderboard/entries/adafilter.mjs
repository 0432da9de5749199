// Leaderboard entry of @ft/adafilter: AdaFilter (Guo et al., AAAI 2020), a recurrent gate choosing per example and
// per filter between the frozen pre-trained and the fine-tuned convolution filters.
import { trainAdaFilter } from '@ft/adafilter';
import { batchFor, imagesSeen } from '../protocol.mjs';

/** @type {import('../entry.mjs').Entry[]} */
export const entries = [
  {
    id: 'adafilter',
    label: 'AdaFilter',
    pkg: '@ft/adafilter',
    kind: 'supervised',
    space: (trial) => ({ lr: trial.suggestFloat('lr', 1e-3, 0.3, { log: true }) }),
    async train(ctx, { lr }) {
      const batch = batchFor(ctx.split.labeled.size, ctx.cfg);
      const r = await trainAdaFilter({
        method: 'adafilter',
        source: ctx.source,
        numClasses: ctx.data.train.numClasses,
        train: ctx.split.labeled,
        probe: ctx.split.validation,
        steps: ctx.cfg.steps,
        batchSize: batch,
        lr,
        seed: ctx.seed,
        log: () => {},
      });
      // both filter banks run: an image costs about two forward passes of the plain network (see adafilter.md)
      const images = imagesSeen(ctx.split.labeled.size, batch, ctx.cfg.steps);
      return { model: r.model, passes: { train: images, forwardOnly: 0 }, dispose: () => r.model.dispose() };
    },
  },
];
