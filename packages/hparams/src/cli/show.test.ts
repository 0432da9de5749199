import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '@ft/core';
import { FtError } from '@ft/core';
import { commandContext } from '@ft/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createStudy, TrialPruned } from '../engine/study.js';
import { journalFileStorage } from '../storage/journal-storage.js';
import { show } from './show.js';

const dir = mkdtempSync(join(tmpdir(), 'ft-hparams-show-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(args: CommandContext['args'], json: boolean) {
  const lines: string[] = [];
  return { ctx: { ...commandContext(show, args, { log: (m) => lines.push(m) }), json }, lines };
}

interface Row {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, unknown>;
  durationS: number | null;
}

/** A journal with 4 trials: complete 0.5, pruned, fail, complete 0.25 (the best, maximising 1 − x). */
async function writeStudy(path: string): Promise<void> {
  const storage = journalFileStorage(path);
  const study = await createStudy({ storage, studyName: 'demo', direction: 'minimize' });
  await study.enqueueTrial({ x: 0.5, opt: 'sgd' });
  await study.enqueueTrial({ x: 0.9, opt: 'adam' });
  await study.enqueueTrial({ x: 0.1, opt: 'sgd' });
  await study.enqueueTrial({ x: 0.25, opt: 'adam' });
  await study.optimize(
    (t) => {
      const x = t.suggestFloat('x', 0, 1);
      t.suggestCategorical('opt', ['sgd', 'adam']);
      if (t.number === 1) {
        t.report(0.8, 0);
        throw new TrialPruned();
      }
      if (t.number === 2) throw new Error('boom');
      return x;
    },
    { nTrials: 4 },
  );
  await storage.close();
}

describe('ft hparams show', () => {
  const path = join(dir, 'demo.log');

  it('--json: every trial (number, state, value, params, duration) and the best', async () => {
    await writeStudy(path);
    const r = (await show.run(ctx({ study: 'demo', storage: path }, true).ctx)) as unknown as {
      study: string;
      direction: string;
      best: Row | null;
      trials: Row[];
    };
    expect(r.study).toBe('demo');
    expect(r.direction).toBe('minimize');
    expect(r.trials.map((t) => [t.number, t.state, t.value])).toEqual([
      [0, 'complete', 0.5],
      [1, 'pruned', 0.8],
      [2, 'fail', null],
      [3, 'complete', 0.25],
    ]);
    expect(r.trials[3].params).toEqual({ x: 0.25, opt: 'adam' });
    for (const t of r.trials) expect(t.durationS).toBeGreaterThanOrEqual(0);
    expect(r.best).toMatchObject({ number: 3, value: 0.25, params: { x: 0.25, opt: 'adam' } });
  });

  it('human output: a table with a header and one line per trial, then the best trial', async () => {
    const c = ctx({ study: 'demo', storage: path }, false);
    expect(await show.run(c.ctx)).toBeUndefined();
    expect(c.lines[0]).toMatch(/^study 'demo' \(minimize\) in .*demo\.log: 4 trials$/);
    const table = c.lines[1].split('\n');
    expect(table[0]).toMatch(/^number\s+state\s+value\s+duration_s\s+params$/);
    expect(table).toHaveLength(5);
    expect(table[2]).toMatch(/^1\s+pruned\s+0\.8\s+[\d.]+\s+x=0\.9, opt="adam"$/);
    expect(table[3]).toMatch(/^2\s+fail\s+-\s+/);
    expect(c.lines[2]).toBe('best: trial 3, value 0.25, x=0.25, opt="adam"');
  });

  it('a study with no complete trial has best null', async () => {
    const p = join(dir, 'empty.log');
    const storage = journalFileStorage(p);
    await createStudy({ storage, studyName: 'e', direction: 'maximize' });
    await storage.close();
    const r = await show.run(ctx({ study: 'e', storage: p }, true).ctx);
    expect(r).toEqual({ study: 'e', direction: 'maximize', best: null, trials: [] });
  });

  it('refuses a missing journal (without creating it), an unknown study and memory', async () => {
    const cases: [CommandContext['args'], RegExp][] = [
      [{ study: 'demo', storage: join(dir, 'none.log') }, /no journal file at/],
      [{ study: 'other', storage: path }, /no study 'other' in/],
      [{ study: 'demo', storage: 'memory' }, /memory holds no study/],
    ];
    for (const [args, re] of cases) {
      let err: unknown;
      try {
        await show.run(ctx(args, true).ctx);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FtError);
      expect((err as FtError).code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(re);
    }
  });
});
