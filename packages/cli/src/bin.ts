#!/usr/bin/env node
import { builtinCommands } from './builtin-commands.js';
import { loadMethodCommands } from './method-commands.js';
import { checkCommands, runCli } from './run-cli.js';

const methods = await loadMethodCommands((m) => process.stderr.write(`${m}\n`));
const commands = [...builtinCommands, ...methods];
checkCommands(commands);
process.exitCode = await runCli(process.argv.slice(2), { commands });
