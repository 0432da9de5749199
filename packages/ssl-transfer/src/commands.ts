/**
 * CLI commands of @ft/ssl-transfer, mounted by `@ft/cli` as `ft ssl <name>`. They parse nothing themselves (the CLI
 * does) and only call the package's public API; the returned object is printed (as the last stdout line with `--json`).
 */

import { type CommandSpec, defineCommand } from '@ft/core';
import { evalCommand, trainCommand } from './cli/train-command.js';
import { entropyThreshold } from './regularisers/entropy-gate.js';

/** Commands of @ft/ssl-transfer. */
export const commands: CommandSpec[] = [
  defineCommand({
    group: 'ssl',
    name: 'gates',
    description: 'Entropy thresholds (nats) of the AKC gate (source classes) and the ARC gate (target classes)',
    needsBackend: false,
    options: {
      'source-classes': {
        type: 'number',
        description: 'Classes of the source model (AKC gate)',
        required: true,
        integer: true,
        min: 2,
      },
      classes: {
        type: 'number',
        description: 'Classes of the target task (ARC gate)',
        required: true,
        integer: true,
        min: 2,
      },
      ratio: { type: 'number', description: 'Gate ratio ε in (0, 1]', default: 0.7, exclusiveMin: 0, max: 1 },
    },
    examples: [
      'ft ssl gates --source-classes 1000 --classes 200',
      'ft ssl gates --source-classes 10 --classes 10 --ratio 0.5 --json',
    ],
    async run(ctx) {
      const ratio = ctx.args.ratio as number;
      const sourceClasses = ctx.args['source-classes'] as number;
      const classes = ctx.args.classes as number;
      const akc = entropyThreshold(ratio, sourceClasses);
      const arc = entropyThreshold(ratio, classes);
      ctx.log(`AKC gate: H(p_source) <= ${akc.toFixed(4)} nats; ARC gate: H(p_target) <= ${arc.toFixed(4)} nats`);
      return { ratio, sourceClasses, classes, akcThreshold: akc, arcThreshold: arc };
    },
  }),
  trainCommand,
  evalCommand,
];
