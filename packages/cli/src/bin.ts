#!/usr/bin/env node
import { builtinCommands } from './builtin-commands.js';
import { loadMethodCommands } from './method-commands.js';
import { checkCommands, runCli } from './run-cli.js';

const methods = await loadMethodCommands((m) => process.stderr.write(`${m}\n`));
const commands = [...builtinCommands, ...methods];
checkCommands(commands);
const code = await runCli(process.argv.slice(2), { commands });
// After SIGINT / SIGTERM the user asked to stop: do not wait for stray handles (sockets, timers) to drain.
if (code === 130 || code === 143) process.exit(code);
process.exitCode = code;
