/**
 * Hostile interrupts of the `ft` executable (suite 'cli', category 'interrupt'): a real child process gets a real
 * SIGINT / SIGTERM during training. The first signal must stop after the current step (writing a checkpoint when
 * --checkpoint-dir is given) and exit 130 / 143 with one `ft: interrupted …` line; a second signal must exit at once.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChild, runHostileChild } from '../../../../test/hostile/harness.js';
import { BIN, requireBuiltCli, writeFolderDataset } from '../../src/test-helpers.js';

let tmp: string;
let tiny: string; // folder:<dir>, 8×8 images: steps of a few ms
beforeAll(async () => {
  requireBuiltCli();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-cli-interrupt-'));
  tiny = await writeFolderDataset(path.join(tmp, 'tiny'), 8, 16);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

interface Plan {
  id: string;
  args: string[];
  /** Signals to send; the first once `ready` matches the output, the next ones `gapMs` apart. */
  signals: NodeJS.Signals[];
  ready: RegExp;
  delayMs?: number;
  gapMs?: number;
}

/** Runs `ft <args>`, signals it as planned and returns the harness outcome plus the time from last signal to exit. */
async function interrupt(plan: Plan) {
  let signalledAt = 0;
  let exitedAt = 0;
  const r = await runHostileChild({ suite: 'cli', id: plan.id, category: 'interrupt' }, [BIN, ...plan.args], {
    timeoutMs: 40_000,
    onSpawn(child, out) {
      let sent = false;
      const poll = setInterval(() => {
        if (sent || !plan.ready.test(out.stdout() + out.stderr())) return;
        sent = true;
        clearInterval(poll);
        setTimeout(() => {
          plan.signals.forEach((sig, i) => {
            setTimeout(
              () => {
                signalledAt = performance.now();
                child.kill(sig);
              },
              i * (plan.gapMs ?? 0),
            );
          });
        }, plan.delayMs ?? 0);
      }, 10);
      child.on('exit', () => {
        exitedAt = performance.now();
        clearInterval(poll);
      });
    },
  });
  return { ...r, msSignalToExit: signalledAt ? exitedAt - signalledAt : Number.NaN };
}

const pretrain = (dataset: string, extra: string[]) => [
  'pretrain',
  '--dataset',
  dataset,
  '--arch',
  'tinyCnn',
  '--epochs',
  '500',
  '--batch-size',
  '4',
  '--lr',
  '0.05',
  ...extra,
];

/** The last non-empty stderr line. */
const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

/**
 * Checks how a first signal ended a run: exit status `exit` (130 / 143), code INTERRUPTED, the one-line message
 * `line` last on stderr, and the exit within 3 s of the signal. Returns that line.
 */
function expectInterrupted(r: Awaited<ReturnType<typeof interrupt>>, exit: 130 | 143, line: RegExp): string {
  expect(r.child.exitCode, r.child.stderr).toBe(exit);
  expect(r.code).toBe('INTERRUPTED');
  const last = lastLine(r.child.stderr);
  expect(last).toMatch(line);
  expect(r.msSignalToExit).toBeLessThan(3000);
  return last;
}

/**
 * Runs the stuck-command fixture (a command that ignores its AbortSignal for 30 s), sends `sig` once it waits and
 * again once stderr shows `acknowledged` (the reply to the first). The second signal must end the process (exit
 * status 130 / 143 as a shell reports it) within 10 s in all; the case passes when `sig` forced the exit.
 */
async function doubleSignal(id: string, sig: 'SIGINT' | 'SIGTERM', acknowledged: RegExp) {
  const fixture = fileURLToPath(new URL('./stuck-command.mjs', import.meta.url));
  let secondAt = 0;
  let exitedAt = 0;
  const r = await runHostileChild({ suite: 'cli', id, category: 'interrupt', expectSignal: sig }, [fixture, 'stuck'], {
    timeoutMs: 20_000,
    onSpawn(child, out) {
      let phase = 0;
      const poll = setInterval(() => {
        if (phase === 0 && /stuck: waiting/.test(out.stdout())) {
          phase = 1;
          child.kill(sig);
        } else if (phase === 1 && acknowledged.test(out.stderr())) {
          phase = 2;
          clearInterval(poll);
          secondAt = performance.now();
          child.kill(sig);
        }
      }, 10);
      child.on('exit', () => {
        exitedAt = performance.now();
        clearInterval(poll);
      });
    },
  });
  // Killed by the default action of the signal: a shell reports exit status 128 + its number.
  const status = r.child.exitCode ?? (r.child.signal === 'SIGINT' ? 130 : r.child.signal === 'SIGTERM' ? 143 : -1);
  expect(status, r.child.stderr).toBe(sig === 'SIGINT' ? 130 : 143);
  expect(r.ms).toBeLessThan(10_000);
  return { r, secondAt, exitedAt };
}

describe('ft: interrupts (real child process, real signal)', () => {
  it('SIGINT on cpu with --checkpoint-dir: stops after the step, writes the checkpoint, exits 130', async () => {
    const ck = path.join(tmp, 'ck-int');
    const r = await interrupt({
      id: 'sigint-cpu-checkpoint',
      args: pretrain(tiny, ['--out', path.join(tmp, 'm1'), '--checkpoint-dir', ck, '--backend', 'cpu']),
      signals: ['SIGINT'],
      ready: /epoch 1\/500/,
    });
    expect(r.kind).toBe('typed');
    const line = expectInterrupted(
      r,
      130,
      /^ft: interrupted by SIGINT after step (\d+) \(epoch \d+\); checkpoint \S+ckpt-\d+ \[INTERRUPTED\]$/,
    );
    const step = Number(line.match(/after step (\d+)/)?.[1]);
    expect(existsSync(path.join(ck, `ckpt-${step}`))).toBe(true);
    expect(existsSync(path.join(tmp, 'm1'))).toBe(false); // no model written as if training had finished
    console.log(`[interrupts] cpu SIGINT → exit ${r.msSignalToExit.toFixed(0)} ms (step ${step})`);
  });

  it('SIGINT on the default backend (ft-native) without a checkpoint dir exits 130 with the one-line message', async () => {
    const r = await interrupt({
      id: 'sigint-default-backend',
      args: pretrain(tiny, ['--out', path.join(tmp, 'm2')]),
      signals: ['SIGINT'],
      ready: /epoch 1\/500/,
    });
    expectInterrupted(r, 130, /^ft: interrupted by SIGINT after step \d+ \(epoch \d+\) \[INTERRUPTED\]$/);
    console.log(`[interrupts] default-backend SIGINT → exit ${r.msSignalToExit.toFixed(0)} ms`);
  });

  it('SIGINT during ft finetune on cpu exits 130 and writes no model', async () => {
    const source = path.join(tmp, 'src-model');
    const pre = await runChild(
      [BIN, 'pretrain', '--dataset', tiny, '--arch', 'tinyCnn', '--epochs', '1', '--out', source, '--backend', 'cpu'],
      { timeoutMs: 30_000 },
    );
    expect(pre.exitCode, pre.stderr).toBe(0);
    const out = path.join(tmp, 'ft-out');
    const r = await interrupt({
      id: 'sigint-finetune-cpu',
      args: ['finetune', '--method', 'full', '--source', source, '--dataset', tiny, '--labels-per-class', '4'].concat([
        '--epochs',
        '2000',
        '--batch-size',
        '2',
        '--out',
        out,
        '--backend',
        'cpu',
      ]),
      signals: ['SIGINT'],
      ready: /epoch 1\/2000/,
    });
    expectInterrupted(r, 130, /^ft: interrupted by SIGINT after step \d+ \(epoch \d+\) \[INTERRUPTED\]$/);
    expect(existsSync(out)).toBe(false);
  });

  it('SIGTERM stops after the step with a checkpoint and exits 143', async () => {
    const ck = path.join(tmp, 'ck-term');
    const r = await interrupt({
      id: 'sigterm-cpu-checkpoint',
      args: pretrain(tiny, ['--out', path.join(tmp, 'm3'), '--checkpoint-dir', ck, '--backend', 'cpu', '--json']),
      signals: ['SIGTERM'],
      ready: /epoch 1\/500/,
    });
    expectInterrupted(
      r,
      143,
      /^ft: interrupted by SIGTERM after step \d+ \(epoch \d+\); checkpoint \S+ \[INTERRUPTED\]$/,
    );
    const json = JSON.parse(r.child.stdout.trim().split('\n').pop() ?? '{}');
    expect(json.error).toMatchObject({ code: 'INTERRUPTED', signal: 'SIGTERM' });
    expect(existsSync(json.error.checkpoint)).toBe(true);
    console.log(`[interrupts] cpu SIGTERM → exit ${r.msSignalToExit.toFixed(0)} ms`);
  });

  it('a second SIGINT exits at once while the command is still busy after the first one', async () => {
    // The fixture runs runCli with a command that ignores its AbortSignal for 30 s: the first SIGINT only asks it to
    // stop; the second must end the process at once (the handler restored the default action).
    const { r, secondAt, exitedAt } = await doubleSignal(
      'double-sigint-forces-exit',
      'SIGINT',
      /stopping after the current step/,
    );
    expect(r.child.stderr).not.toMatch(/\[INTERRUPTED\]/);
    expect(secondAt).toBeGreaterThan(0);
    expect(exitedAt - secondAt).toBeLessThan(1000);
    console.log(`[interrupts] second SIGINT → exit ${(exitedAt - secondAt).toFixed(0)} ms`);
  });

  it('a second SIGTERM also exits at once', async () => {
    await doubleSignal('double-sigterm-forces-exit', 'SIGTERM', /terminated; stopping after the current step/);
  });
});
