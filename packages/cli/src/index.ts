export { builtinCommands } from './builtin-commands.js';
export { loadMethodCommands, METHOD_PACKAGES } from './method-commands.js';
export { createProgressBar } from './progress-bar.js';
export { type CliIO, checkCommands, formatHuman, type RunCliOptions, runCli, UsageError } from './run-cli.js';
