#!/usr/bin/env node
import { builtinCommands } from './builtin-commands.js';
import { discoverFtPackages, importFtPackage, loadMethodCommands } from './method-commands.js';
import { checkCommands, runCli } from './run-cli.js';

const packages = discoverFtPackages();
const methods = await loadMethodCommands((m) => process.stderr.write(`${m}\n`), importFtPackage, packages);
const commands = [...builtinCommands, ...methods];
checkCommands(commands);
const code = await runCli(process.argv.slice(2), { commands, packages });
// After SIGINT / SIGTERM the user asked to stop: do not wait for stray handles (sockets, timers) to drain.
if (code === 130 || code === 143) process.exit(code);
process.exitCode = code;
