/**
 * `@ft/cli`: the `ft` command line as a library. `runCli(argv, { commands })` parses, runs and prints one command and
 * returns its exit code; the built-in commands and the commands of installed method packages are assembled here.
 */

// Running the command line

export { type CliIO, checkCommands, EXIT, FileAccessError, type RunCliOptions, runCli, UsageError } from './run-cli.js';

// Commands: the built-in ones and those of the installed method packages

export { builtinCommands } from './builtin-commands.js';
export {
  defaultSearchDirs,
  discoverFtPackages,
  type FtPackage,
  importFtPackage,
  loadMethodCommands,
} from './method-commands.js';

// Terminal output

export { createProgressBar } from './progress-bar.js';
