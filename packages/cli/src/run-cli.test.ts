/** Unit tests of runCli: parsing, exit codes, help, argument checks, result guard, error mapping and signals. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AbortedError,
  type CommandOption,
  type CommandSpec,
  DatasetNotFoundError,
  defineCommand,
  listZooModels,
  loadModelRef,
} from '@ft/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from './builtin-commands.js';
import { type FtPackage, loadMethodCommands } from './method-commands.js';
import {
  assertFiniteResult,
  checkCommands,
  checkOutputPath,
  constraintText,
  joinNegativeNumbers,
  mapSystemError,
  runCli,
} from './run-cli.js';
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

  it('rejects duplicate command names', () => {
    expect(() => checkCommands([echo, echo])).toThrow(/two commands are named "ft demo echo"/);
  });
});

// Tests method-commands.ts (moved out of the runCli describe above; method-commands.test.ts covers the discovery).
describe('loadMethodCommands', () => {
  it('skips absent method packages', async () => {
    const warnings: string[] = [];
    // packages that are not installed are not discovered, so only installed ones reach the loader
    const installed = ['@ft/jadce', '@ft/hparams'].map(
      (name): FtPackage => ({
        name,
        version: '0.0.0',
        dir: `/nowhere/${name}`,
        manifest: { kind: 'method', commands: true, summary: name },
      }),
    );
    const loaded = await loadMethodCommands(
      (m) => warnings.push(m),
      async (p) => {
        if (p.name === '@ft/jadce') return { commands: [echo] };
        if (p.name === '@ft/hparams') throw new Error('boom');
        throw new Error(`Cannot find module '${p.name}'`);
      },
      installed,
    );
    expect(loaded).toEqual([echo]);
    expect(warnings).toEqual(['[ft] could not load @ft/hparams: boom']);
  });
});

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-run-cli-checks-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const cmd = (run: CommandSpec['run'], options: Record<string, CommandOption> = {}): CommandSpec[] => [
  defineCommand({ name: 't', description: 'test', needsBackend: false, options, run }),
];

describe('constraints', () => {
  it('constraintText describes each kind of bound', () => {
    expect(constraintText({ type: 'number', description: '', integer: true, min: 1 })).toBe('integer ≥ 1');
    expect(constraintText({ type: 'number', description: '', exclusiveMin: 0 })).toBe('> 0');
    expect(constraintText({ type: 'number', description: '', exclusiveMin: 0, exclusiveMax: 1 })).toBe('0 < x < 1');
    expect(constraintText({ type: 'number', description: '', min: 0, max: 1 })).toBe('0 ≤ x ≤ 1');
    expect(constraintText({ type: 'number', description: '' })).toBe('');
  });

  it('runCli refuses out-of-range, non-integer and non-finite values with exit 2', async () => {
    const options: Record<string, CommandOption> = {
      n: { type: 'number', description: 'n', default: 1, integer: true, min: 1 },
      p: { type: 'number', description: 'p', default: 0.5, exclusiveMin: 0, exclusiveMax: 1 },
    };
    const c = cmd(async (ctx) => ({ n: ctx.args.n, p: ctx.args.p }), options);
    for (const [argv, msg] of [
      [['--n', '0'], '--n must be integer ≥ 1, got 0'],
      [['--n', '2.5'], '--n must be integer ≥ 1, got 2.5'],
      [['--n=-1'], '--n must be integer ≥ 1, got -1'],
      [['--p', '1'], '--p must be 0 < x < 1, got 1'],
      [['--p', 'NaN'], '--p must be a number (0 < x < 1), got "NaN"'],
    ] as const) {
      const cap = capture();
      expect(await runCli(['t', ...argv], { commands: c, io: cap.io })).toBe(2);
      expect(cap.err()).toContain(msg);
    }
    const ok = capture();
    expect(await runCli(['t', '--n', '3', '--p', '0.25', '--json'], { commands: c, io: ok.io })).toBe(0);
    expect(JSON.parse(ok.out().trim())).toEqual({ n: 3, p: 0.25 });
  });

  it('--backend with an unknown name is a usage error listing the valid backends', async () => {
    const c = capture();
    const commands: CommandSpec[] = [defineCommand({ name: 'b', description: 'b', run: async () => ({}) })];
    expect(await runCli(['b', '--backend', 'gpu'], { commands, io: c.io })).toBe(2);
    expect(c.err()).toMatch(
      /\[USAGE\].*unknown backend "gpu"; valid backends: tensorflow, ft-webgpu, ft-native, cpu, wasm/,
    );
  });
});

describe('joinNegativeNumbers', () => {
  const opts: Record<string, CommandOption> = {
    seed: { type: 'number', description: '' },
    snr: { type: 'string', description: '' },
    json: { type: 'boolean', description: '' },
  };
  it('joins a negative number to the option before it', () => {
    expect(joinNegativeNumbers(['x', '--seed', '-5', '--snr', '-3:2', '--json'], opts)).toEqual([
      'x',
      '--seed=-5',
      '--snr=-3:2',
      '--json',
    ]);
    expect(joinNegativeNumbers(['--seed', '-.5'], opts)).toEqual(['--seed=-.5']);
  });
  it('leaves flags, boolean options and arguments after -- alone', () => {
    expect(joinNegativeNumbers(['--json', '-5'], opts)).toEqual(['--json', '-5']);
    expect(joinNegativeNumbers(['--seed', '--json'], opts)).toEqual(['--seed', '--json']);
    expect(joinNegativeNumbers(['--', '--seed', '-5'], opts)).toEqual(['--', '--seed', '-5']);
  });
  it('runCli takes --seed -5 like --seed=-5', async () => {
    const c = cmd(async (ctx) => ({ seed: ctx.seed }));
    for (const argv of [
      ['t', '--seed', '-5', '--json'],
      ['t', '--seed=-5', '--json'],
    ]) {
      const cap = capture();
      expect(await runCli(argv, { commands: c, io: cap.io }), cap.err()).toBe(0);
      expect(JSON.parse(cap.out().trim()).seed).toBe(-5);
    }
  });
});

describe('checkOutputPath', () => {
  it('accepts a new path under a writable folder and an existing folder', async () => {
    expect(() => checkOutputPath('--out', path.join(tmp, 'a', 'b', 'c'), 'dir')).not.toThrow();
    expect(() => checkOutputPath('--out', tmp, 'dir')).not.toThrow();
    expect(() => checkOutputPath('--out', path.join(tmp, 'f.npy'), 'file')).not.toThrow();
  });
  it('refuses a file where a folder is needed, a folder where a file is needed, and a path under a file', async () => {
    const f = path.join(tmp, 'file');
    await fs.writeFile(f, 'x');
    expect(() => checkOutputPath('--out', f, 'dir')).toThrow(/exists and is not a folder/);
    expect(() => checkOutputPath('--out', tmp, 'file')).toThrow(/is a folder/);
    expect(() => checkOutputPath('--out', path.join(f, 'x', 'y'), 'dir')).toThrow(
      /is a file, so nothing can be created/,
    );
    expect(() => checkOutputPath('--out', '', 'dir')).toThrow(/must not be empty/);
  });
});

describe('results with non-finite numbers', () => {
  it('assertFiniteResult names the field', () => {
    expect(() => assertFiniteResult({ a: 1, b: { c: [1, Number.NaN] } })).toThrow(/result\.b\.c\[1\] is NaN/);
    expect(() => assertFiniteResult({ a: Number.POSITIVE_INFINITY })).toThrow(/result\.a is Infinity/);
    expect(() => assertFiniteResult({ a: null, b: 'x', c: [1, 2], d: Float32Array.of(1) })).not.toThrow();
  });
  it('a command whose result holds NaN exits 1 with NON_FINITE_VALUE instead of printing null', async () => {
    const c = capture();
    const commands = cmd(async () => ({ loss: Number.NaN, accuracy: 0.5 }));
    expect(await runCli(['t', '--json'], { commands, io: c.io })).toBe(1);
    expect(c.err()).toMatch(/\[NON_FINITE_VALUE\].*result\.loss is NaN/);
    expect(c.out()).not.toMatch(/"loss":null/);
    expect(JSON.parse(c.out().trim().split('\n').pop() ?? '{}').error.code).toBe('NON_FINITE_VALUE');
  });
});

describe('file-system errors at the boundary', () => {
  it('mapSystemError turns ENOENT/EISDIR/ENOTDIR/EACCES/ENOSPC into FILE_ACCESS with the path', () => {
    for (const code of ['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'ENOSPC']) {
      const e = Object.assign(new Error(`${code}: x`), { code, path: '/some/where', syscall: 'open' });
      const m = mapSystemError(e) as { code: string; message: string };
      expect(m.code).toBe('FILE_ACCESS');
      expect(m.message).toContain('/some/where');
      expect(m.message).toContain(code);
    }
    const other = new Error('boom');
    expect(mapSystemError(other)).toBe(other);
  });
  it('a command that hits ENOENT exits 1 with [FILE_ACCESS], not "unexpected error"', async () => {
    const c = capture();
    const commands = cmd(async () => {
      await fs.readFile(path.join(tmp, 'missing.bin'));
      return {};
    });
    expect(await runCli(['t'], { commands, io: c.io })).toBe(1);
    expect(c.err()).toMatch(/ft: error \[FILE_ACCESS\]: .*missing\.bin: no such file or folder \(ENOENT/);
  });
});

describe('signals', () => {
  for (const [sig, exit] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`an abort caused by ${sig} returns ${exit} with one line naming the step and checkpoint`, async () => {
      const c = capture();
      // keep a listener of our own so that the handler's default-action restore never lets a stray signal kill vitest
      const keep = () => {};
      process.on(sig, keep);
      try {
        const commands = cmd(async (ctx) => {
          setImmediate(() => process.emit(sig));
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          throw new AbortedError('fit: aborted', { step: 12, epoch: 0, checkpoint: './ck/ckpt-12' });
        });
        expect(await runCli(['t'], { commands, io: c.io })).toBe(exit);
      } finally {
        process.off(sig, keep);
      }
      const last = c.err().trim().split('\n').pop();
      expect(last).toBe(`ft: interrupted by ${sig} after step 12 (epoch 0); checkpoint ./ck/ckpt-12 [INTERRUPTED]`);
      expect(process.listenerCount(sig)).toBe(0);
    });
  }
  it('the abort reason is a typed InterruptedError', async () => {
    const keep = () => {};
    process.on('SIGINT', keep);
    let reason: unknown;
    try {
      const commands = cmd(async (ctx) => {
        setImmediate(() => process.emit('SIGINT'));
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        reason = ctx.signal.reason;
        ctx.signal.throwIfAborted();
        return {};
      });
      expect(await runCli(['t'], { commands, io: capture().io })).toBe(130);
    } finally {
      process.off('SIGINT', keep);
    }
    expect((reason as { code?: string }).code).toBe('INTERRUPTED');
  });
});

describe('--zoo-dir', () => {
  const zooCmd = defineCommand({
    name: 'zoo-list',
    description: 'lists the zoo',
    needsBackend: false,
    async run() {
      return { dir: process.env.FT_ZOO_DIR, models: (await listZooModels()).map((e) => e.name).join(',') };
    },
  });
  const zooLoad = defineCommand({
    name: 'zoo-load',
    description: 'loads a zoo model',
    needsBackend: false,
    async run() {
      await loadModelRef('zoo:mnist-resnet8');
      return {};
    },
  });
  const zooCommands = [...commands, zooCmd, zooLoad];

  it('sets the zoo folder for the run (relative to the working directory) and puts FT_ZOO_DIR back after it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-zoo-dir-'));
    const entry = { name: 'mine', files: { modelJson: 'mine/model.json', weights: 'mine/weights.bin' } };
    const sha256 = { modelJson: '0'.repeat(64), weights: '0'.repeat(64) };
    const manifest = { version: 1, models: [{ ...entry, sha256, trainingData: 't', accuracy: 1, command: 'c' }] };
    await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const before = process.env.FT_ZOO_DIR;
    const c = capture();
    const rel = path.relative(process.cwd(), dir);
    expect(await runCli(['zoo-list', '--zoo-dir', rel, '--json'], { commands: zooCommands, io: c.io })).toBe(0);
    expect(JSON.parse(c.out().trim().split('\n').pop() ?? '')).toEqual({ dir, models: 'mine' });
    expect(process.env.FT_ZOO_DIR).toBe(before);
    const e = capture();
    expect(await runCli(['zoo-list', '--zoo-dir', ''], { commands: zooCommands, io: e.io })).toBe(2);
    expect(e.err()).toMatch(/--zoo-dir needs a folder/);
    const h = capture();
    expect(await runCli(['zoo-list', '--help'], { commands: zooCommands, io: h.io })).toBe(0);
    expect(h.out()).toMatch(/--zoo-dir/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a zoo folder without a manifest exits 1 naming the folder and how to get the zoo', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-zoo-empty-'));
    const c = capture();
    expect(await runCli(['zoo-load', '--zoo-dir', empty], { commands: zooCommands, io: c.io })).toBe(1);
    expect(c.err()).toContain(`[MODEL_FILE_NOT_FOUND]: zoo manifest not found: looked in ${empty}/manifest.json`);
    expect(c.err()).toMatch(/npm install @ft\/zoo.*FT_ZOO_DIR=<dir> or --zoo-dir <dir>/);
    await fs.rm(empty, { recursive: true, force: true });
  });
});

describe('--precision', () => {
  const seen = defineCommand({
    name: 'seen',
    description: 'reports FT_NATIVE_PRECISION',
    needsBackend: false,
    async run() {
      return { precision: process.env.FT_NATIVE_PRECISION ?? 'unset' };
    },
  });
  const train = defineCommand({ name: 'train', description: 'needs a backend', run: async () => ({ ran: true }) });
  const cmds = [...commands, seen, train];

  it('passes the precision to the backend through FT_NATIVE_PRECISION for the run, then puts it back', async () => {
    const before = process.env.FT_NATIVE_PRECISION;
    const c = capture();
    expect(await runCli(['seen', '--precision', 'bf16', '--json'], { commands: cmds, io: c.io })).toBe(0);
    expect(JSON.parse(c.out().trim().split('\n').pop() ?? '')).toEqual({ precision: 'bf16' });
    expect(process.env.FT_NATIVE_PRECISION).toBe(before);
    const h = capture();
    expect(await runCli(['seen', '--help'], { commands: cmds, io: h.io })).toBe(0);
    expect(h.out()).toMatch(/--precision.*fp32 \(default\) or bf16/);
  });

  it('an unknown precision is a usage error listing fp32 and bf16', async () => {
    const c = capture();
    expect(await runCli(['seen', '--precision', 'fp16'], { commands: cmds, io: c.io })).toBe(2);
    expect(c.err()).toMatch(/\[USAGE\]: --precision must be one of fp32, bf16, got "fp16"/);
  });

  it('bf16 on a backend other than ft-native fails (exit 1) instead of running fp32', async () => {
    const c = capture();
    expect(await runCli(['train', '--precision', 'bf16', '--backend', 'cpu'], { commands: cmds, io: c.io })).toBe(1);
    expect(c.err()).toMatch(
      /\[BACKEND_UNAVAILABLE\]: --precision bf16 needs the ft-native backend, but the cpu backend was selected/,
    );
    const before = process.env.FT_NATIVE_PRECISION;
    process.env.FT_NATIVE_PRECISION = 'bf16';
    try {
      const e = capture();
      expect(await runCli(['train', '--backend', 'cpu'], { commands: cmds, io: e.io })).toBe(1);
      expect(e.err()).toMatch(/--precision bf16 needs the ft-native backend/);
      const ok = capture();
      expect(await runCli(['train', '--backend', 'cpu', '--precision', 'fp32'], { commands: cmds, io: ok.io })).toBe(0);
    } finally {
      if (before === undefined) delete process.env.FT_NATIVE_PRECISION;
      else process.env.FT_NATIVE_PRECISION = before;
    }
  });

  it('ft info --precision bf16 runs ft-native in bf16 where the CPU has it', async (t) => {
    const native = (await import('@ft/tfjs-backend-native')) as {
      nativeInfo(): { available: boolean; bf16Support?: { supported: boolean } };
    };
    if (!native.nativeInfo().bf16Support?.supported) return t.skip();
    const c = capture();
    expect(
      await runCli(['info', '--backend', 'ft-native', '--precision', 'bf16', '--json'], { commands: cmds, io: c.io }),
    ).toBe(0);
    const r = JSON.parse(c.out().trim().split('\n').pop() ?? '');
    expect(r.backend).toBe('ft-native');
    expect(r.details.precision).toBe('bf16');
    const f = capture();
    expect(
      await runCli(['info', '--backend', 'ft-native', '--precision', 'fp32', '--json'], { commands: cmds, io: f.io }),
    ).toBe(0);
    expect(JSON.parse(f.out().trim().split('\n').pop() ?? '').details.precision).toBe('fp32');
  });
});
