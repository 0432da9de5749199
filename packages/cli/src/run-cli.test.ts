import { type CommandSpec, DatasetNotFoundError, defineCommand } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { builtinCommands } from './builtin-commands.js';
import { loadMethodCommands } from './method-commands.js';
import { checkCommands, runCli } from './run-cli.js';
import { capture } from './test-helpers.js';

const echo = defineCommand({
  group: 'demo',
  name: 'echo',
  description: 'echo flags',
  options: {
    steps: { type: 'number', description: 'steps', default: 3 },
    mode: { type: 'string', description: 'm', choices: ['a', 'b'], default: 'a' },
  },
  positionals: [{ name: 'file', description: 'input', required: true }],
  needsBackend: false,
  async run(ctx) {
    ctx.log('working');
    return {
      steps: ctx.args.steps,
      mode: ctx.args.mode,
      file: ctx.positionals[0],
      seed: ctx.seed,
      u: ctx.rng.uniform(),
    };
  },
});
const failing = defineCommand({
  name: 'fail',
  description: 'fails',
  needsBackend: false,
  async run() {
    throw new DatasetNotFoundError('no files in /nowhere; apt-get install dataset-fashion-mnist');
  },
});
const commands: CommandSpec[] = [...builtinCommands, echo, failing];

describe('runCli', () => {
  it('parses typed flags and prints one JSON object on the last stdout line', async () => {
    const c = capture();
    const code = await runCli(['demo', 'echo', 'in.npz', '--steps', '7', '--mode', 'b', '--seed', '5', '--json'], {
      commands,
      io: c.io,
    });
    expect(code).toBe(0);
    const lines = c.out().trim().split('\n');
    const res = JSON.parse(lines[lines.length - 1]);
    expect(res).toMatchObject({ steps: 7, mode: 'b', file: 'in.npz', seed: 5 });
    // logs go to stderr under --json
    expect(c.err()).toContain('working');
    // same seed => same rng draw
    const c2 = capture();
    await runCli(['demo', 'echo', 'x', '--seed', '5', '--json'], { commands, io: c2.io });
    expect(JSON.parse(c2.out().trim()).u).toBe(res.u);
  });

  it('exits 2 with a clear message on usage errors', async () => {
    for (const argv of [
      ['demo', 'echo', 'f', '--steps', 'abc'],
      ['demo', 'echo', 'f', '--mode', 'z'],
      ['demo', 'echo'],
      ['nope'],
      ['demo', 'echo', 'f', '--bogus'],
    ]) {
      const c = capture();
      expect(await runCli(argv, { commands, io: c.io })).toBe(2);
      expect(c.err()).toMatch(/^ft: error \[USAGE\]: /);
    }
    const c = capture();
    await runCli(['demo', 'echo', 'f', '--steps', 'abc'], { commands, io: c.io });
    expect(c.err()).toContain('--steps must be a number, got "abc"');
  });

  it('exits 1 and names the problem on a failing command', async () => {
    const c = capture();
    expect(await runCli(['fail', '--json'], { commands, io: c.io })).toBe(1);
    expect(c.err()).toContain('ft: error [DATASET_NOT_FOUND]: no files in /nowhere');
    expect(JSON.parse(c.out().trim()).error.code).toBe('DATASET_NOT_FOUND');
  });

  it('prints help listing every command', async () => {
    const c = capture();
    expect(await runCli(['--help'], { commands, io: c.io })).toBe(0);
    expect(c.out()).toContain('demo echo');
    expect(c.out()).toContain('info');
  });

  it('ft info --json reports the chosen backend, available backends, versions and threads', async () => {
    const c = capture();
    expect(await runCli(['info', '--json', '--backend', 'cpu'], { commands, io: c.io })).toBe(0);
    const info = JSON.parse(c.out().trim().split('\n').pop()!);
    expect(info.backend).toBe('cpu');
    expect(info.available).toEqual(['cpu']);
    expect(info.threads).toBe(1);
    expect(info.versions['tfjs-core']).toMatch(/^4\./);
  });

  it('rejects duplicate command names and skips absent method packages', async () => {
    expect(() => checkCommands([echo, echo])).toThrow(/two commands are named "ft demo echo"/);
    const warnings: string[] = [];
    const loaded = await loadMethodCommands(
      (m) => warnings.push(m),
      async (s) => {
        if (s === '@ft/jadce') return { commands: [echo] };
        if (s === '@ft/hparams') throw new Error('boom');
        throw new Error(`Cannot find module '${s}'`);
      },
    );
    expect(loaded).toEqual([echo]);
    expect(warnings).toEqual(['[ft] could not load @ft/hparams: boom']);
  });
});
