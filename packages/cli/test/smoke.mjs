// Pack-and-install smoke call for @ft/cli, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['@ft/cli', 'runCli, builtinCommands, loadMethodCommands']];
export const body = `const code = await runCli(['info', '--json', '--backend', 'cpu'], { commands: builtinCommands });
if (code !== 0) throw new Error('ft info exit ' + code);
const methods = await loadMethodCommands((m) => { throw new Error(m); });
const groups = [...new Set(methods.map((c) => c.group))].sort().join(',');
if (!methods.length) throw new Error('the installed method packages contributed no commands');
console.log('cli ok, method command groups:', groups);`;
