import { type CommandSpec, defineCommand } from '@ft/core';
import { hparamsVersion } from './hparams.js';

/** Commands of @ft/hparams, mounted by the `ft` CLI as `ft hparams <name>`. */
export const commands: CommandSpec[] = [
  defineCommand({
    group: 'hparams',
    name: 'version',
    description: 'Print the @ft/hparams API version',
    needsBackend: false,
    async run() {
      return { version: hparamsVersion() };
    },
  }),
];
