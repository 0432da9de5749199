import type { CommandSpec } from '@ft/core';
import { dataInspectCommand } from './commands/data-inspect.js';
import { evalCommand } from './commands/eval.js';
import { finetuneCommand } from './commands/finetune.js';
import { infoCommand } from './commands/info.js';
import { pretrainCommand } from './commands/pretrain.js';

/** The commands of `@ft/cli` itself (method packages add theirs). */
export const builtinCommands: CommandSpec[] = [
  infoCommand,
  dataInspectCommand,
  pretrainCommand,
  finetuneCommand,
  evalCommand,
];
