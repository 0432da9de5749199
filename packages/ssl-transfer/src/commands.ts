import { type CommandSpec, defineCommand } from '@ft/core';
import { sslTransferVersion } from './ssl-transfer.js';

/** Commands of @ft/ssl-transfer, mounted by the `ft` CLI as `ft ssl-transfer <name>`. */
export const commands: CommandSpec[] = [
  defineCommand({
    group: 'ssl-transfer',
    name: 'version',
    description: 'Print the @ft/ssl-transfer API version',
    needsBackend: false,
    async run() {
      return { version: sslTransferVersion() };
    },
  }),
];
