import type { CommandSpec } from '@ft/core';

/** Commands of @ft/adafilter, mounted by the `ft` CLI as `ft adafilter <name>`. */
export const commands: CommandSpec[] = [];
