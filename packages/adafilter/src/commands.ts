/**
 * CLI commands of @ft/adafilter, mounted by `@ft/cli` as `ft adafilter <name>`. They parse nothing themselves (the
 * CLI does) and only call the package's public API; the returned object is printed (as the last stdout line with
 * `--json`).
 */
import type { CommandSpec } from '@ft/core';
import { evalCommand, trainCommand } from './cli/train-command.js';

/** Commands of @ft/adafilter. */
export const commands: CommandSpec[] = [trainCommand, evalCommand];
