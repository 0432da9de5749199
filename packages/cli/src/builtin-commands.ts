import type { CommandSpec } from '@ft/core';
import { infoCommand } from './commands/info.js';

/** The commands of `@ft/cli` itself (method packages add theirs). */
export const builtinCommands: CommandSpec[] = [infoCommand];
