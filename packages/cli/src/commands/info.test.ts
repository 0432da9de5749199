/** `ft info`: the chosen backend and why, the available backends, versions, threads and the machine. */
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { builtinCommands } from '../builtin-commands.js';
import { runCli } from '../run-cli.js';
import { capture } from '../test-helpers.js';
import { infoCommand } from './info.js';

const commands = builtinCommands;

describe('ft info', () => {
  it('ft info --json reports the chosen backend, available backends, versions and threads', async () => {
    const c = capture();
    expect(await runCli(['info', '--json', '--backend', 'cpu'], { commands, io: c.io })).toBe(0);
    const info = JSON.parse(c.out().trim().split('\n').pop()!);
    expect(info.backend).toBe('cpu');
    expect(info.available).toEqual(['cpu']);
    expect(info.threads).toBe(1);
    expect(info.versions['tfjs-core']).toMatch(/^4\./);
  });

  it('reports the node version and the machine, and the backends that failed with their reasons', async () => {
    const c = capture();
    expect(await runCli(['info', '--json', '--backend', 'cpu'], { commands, io: c.io })).toBe(0);
    const info = JSON.parse(c.out().trim().split('\n').pop()!);
    expect(info.versions.node).toBe(process.versions.node);
    expect(info.machine).toEqual({
      platform: `${os.platform()}-${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    });
    expect(typeof info.unavailable).toBe('object');
    for (const reason of Object.values(info.unavailable)) expect(typeof reason).toBe('string');
    expect(info.gpu).toBe(false);
  });

  it('prints a human-readable summary without --json, and --help describes the command', async () => {
    const c = capture();
    expect(await runCli(['info', '--backend', 'cpu'], { commands, io: c.io })).toBe(0);
    expect(c.out()).toMatch(/backend\W+cpu/);
    expect(c.out()).not.toMatch(/^\{/);
    const h = capture();
    expect(await runCli(['info', '--help'], { commands, io: h.io })).toBe(0);
    expect(h.out()).toContain(infoCommand.description);
  });

  it('takes no positional arguments: an unknown flag is a usage error (exit 2)', async () => {
    const c = capture();
    expect(await runCli(['info', '--verbose'], { commands, io: c.io })).toBe(2);
    expect(c.err()).toMatch(/^ft: error \[USAGE\]/);
  });
});
