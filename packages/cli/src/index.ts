export { builtinCommands } from './builtin-commands.js';
export {
  defaultSearchDirs,
  discoverFtPackages,
  type FtPackage,
  importFtPackage,
  loadMethodCommands,
} from './method-commands.js';
export { createProgressBar } from './progress-bar.js';
export {
  assertFiniteResult,
  type CliIO,
  checkCommands,
  checkInputPath,
  checkOutputPath,
  constraintText,
  EXIT,
  FileAccessError,
  formatHuman,
  joinNegativeNumbers,
  mapSystemError,
  type RunCliOptions,
  runCli,
  UsageError,
} from './run-cli.js';
