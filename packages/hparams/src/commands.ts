import { type CommandSpec, defineCommand } from '@ft/core';
import { search } from './cli/search.js';
import { show } from './cli/show.js';
import { similarity } from './cli/similarity.js';
import { bnMomentum, effectiveLr, lrForEffectiveLr } from './tools/effective-lr.js';

/**
 * `ft hparams elr`: the effective learning rate η' = η / (1 − m) of an SGD-momentum setting (Li et al., ICLR 2020,
 * Sec. 3.1), the learning rate that keeps η' at another momentum, and the BN momentum in PyTorch's convention.
 */
const elr = defineCommand({
  group: 'hparams',
  name: 'elr',
  description: "Effective learning rate η' = η/(1−m), and the η that keeps it at another momentum (Li et al. 2020)",
  needsBackend: false,
  options: {
    lr: { type: 'number', description: 'Learning rate η', required: true, exclusiveMin: 0 },
    momentum: { type: 'number', description: 'SGD momentum m', default: 0.9, min: 0, exclusiveMax: 1 },
    'to-momentum': {
      type: 'number',
      description: "Momentum to convert to (prints the η with the same η')",
      min: 0,
      exclusiveMax: 1,
    },
    'bn-momentum': {
      type: 'number',
      description: 'A Keras/tfjs BatchNorm momentum to show in PyTorch convention (1 − m)',
      min: 0,
      max: 1,
    },
  },
  examples: [
    'ft hparams elr --lr 0.01 --momentum 0.9',
    'ft hparams elr --lr 0.1 --momentum 0 --to-momentum 0.9 --json',
    'ft hparams elr --lr 0.01 --bn-momentum 0.99',
  ],
  async run(ctx) {
    const lr = Number(ctx.args.lr);
    const momentum = Number(ctx.args.momentum);
    const effective = effectiveLr(lr, momentum);
    const out: Record<string, unknown> = { lr, momentum, effectiveLr: effective };
    if (ctx.args['to-momentum'] !== undefined) {
      const to = Number(ctx.args['to-momentum']);
      out.atMomentum = { momentum: to, lr: lrForEffectiveLr(effective, to) };
    }
    if (ctx.args['bn-momentum'] !== undefined) {
      const m = Number(ctx.args['bn-momentum']);
      out.bnMomentum = { tfjs: m, pytorch: bnMomentum.toPytorch(m) };
    }
    return out;
  },
});

/** Commands of @ft/hparams, mounted by the `ft` CLI as `ft hparams <name>`. */
export const commands: CommandSpec[] = [elr, search, show, similarity];
