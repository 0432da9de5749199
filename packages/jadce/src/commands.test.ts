import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AbortedError, DatasetFormatError, InvalidArgumentError, npyArray, writeNpz } from '@ft/core';
import { commandContext } from '@ft/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { commands, parseIntList, parseSnr } from './commands.js';
import { jadceDataToArrays, loadJadceNpz } from './npz-data.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dir = mkdtempSync(join(tmpdir(), 'jadce-cli-'));
const cmd = (name: string) => commands.find((c) => c.group === 'jadce' && c.name === name)!;

/** A CommandContext like the CLI builds: option defaults applied, seeded rng. */
const ctx = (name: string, args: Record<string, string | number | boolean>, seed = 3) =>
  commandContext(cmd(name), args, { seed });

describe('ft jadce commands', () => {
  const data = join(dir, 'data.npz');
  const models = join(dir, 'models');

  it('registers simulate, train, eval and bench under the jadce group', () => {
    expect(commands.map((c) => `${c.group} ${c.name}`)).toEqual([
      'jadce simulate',
      'jadce train',
      'jadce eval',
      'jadce bench',
    ]);
    for (const f of ['N', 'M', 'L', 'snr', 'eps', 'count', 'out']) expect(cmd('simulate').options).toHaveProperty(f);
    for (const f of ['N', 'M', 'L', 'snr', 'eps', 'out']) expect(cmd('train').options).toHaveProperty(f);
    for (const f of ['data', 'methods', 'model']) expect(cmd('eval').options).toHaveProperty(f);
  });

  it('simulate writes a .npz with the documented keys and the seed’s pilots', async () => {
    const res = await cmd('simulate').run(
      ctx('simulate', { N: 30, M: 4, L: 10, snr: '12', eps: 0.1, count: 40, out: data }),
    );
    expect(res).toMatchObject({ out: data, count: 40, N: 30, M: 4, L: 10, eps: 0.1, snrDb: 12 });
    const d = loadJadceNpz(data);
    expect(d.Y.shape).toEqual([40, 10, 4]);
    expect(d.X!.shape).toEqual([40, 30, 4]);
    expect(d.active!.length).toBe(1200);
  });

  it('train writes one model directory per method; eval prints the five fields per method', async () => {
    const tr = (await cmd('train').run(
      ctx('train', {
        N: 30,
        M: '4',
        L: 10,
        snr: '5:20',
        eps: 0.1,
        out: models,
        layers: 2,
        em: 1,
        samples: 64,
        steps: 1,
        batch: 16,
        rank: 2,
      }),
    )) as { methods: Record<string, { dir: string }> };
    expect(Object.keys(tr.methods).sort()).toEqual(['alista-gs', 'lista-gs', 'proposed']);
    for (const m of ['proposed', 'lista-gs', 'alista-gs']) {
      expect(existsSync(join(models, m, 'model.json'))).toBe(true);
      expect(existsSync(join(models, m, 'weights.npz'))).toBe(true);
    }
    const out = (await cmd('eval').run(
      ctx('eval', { data, methods: 'amp-mmv,fista,admm,sbl,cov-ml,lista-gs,alista-gs,proposed', model: models }),
    )) as { methods: Record<string, Record<string, number>>; priors: { source: unknown } };
    expect(Object.keys(out.methods)).toEqual([
      'amp-mmv',
      'fista',
      'admm',
      'sbl',
      'cov-ml',
      'lista-gs',
      'alista-gs',
      'proposed',
    ]);
    for (const r of Object.values(out.methods)) {
      expect(Object.keys(r).sort()).toEqual(['aer', 'msPerSample', 'nmseDb', 'pFa', 'pMiss']);
      expect(Number.isFinite(r.nmseDb)).toBe(true);
      expect(r.aer).toBeGreaterThanOrEqual(0);
      expect(r.aer).toBeLessThanOrEqual(1);
      expect(r.msPerSample).toBeGreaterThan(0);
    }
    // known prior at 12 dB with L = 10, N = 30: AMP-MMV must be a useful estimator
    expect(out.methods['amp-mmv'].nmseDb).toBeLessThan(-5);
    expect(out.priors.source).toEqual({ eps: 'file', beta: 'file' });
  });

  it('train aborted by its signal saves no model (a half-trained network is never written as finished)', async () => {
    const out = join(dir, 'aborted-models');
    const c = ctx('train', { N: 30, M: '4', L: 10, snr: '5:20', eps: 0.1, out, layers: 2, em: 1, samples: 64 });
    const controller = new AbortController();
    (c as { signal: AbortSignal }).signal = controller.signal;
    setImmediate(() => controller.abort(new AbortedError('stop')));
    await expect(cmd('train').run(c)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(out)).toBe(false);
  });

  it('eval rejects a model trained for other pilots, unknown methods and learned methods without --model', async () => {
    const other = join(dir, 'other.npz');
    await cmd('simulate').run(ctx('simulate', { N: 30, M: 4, L: 10, snr: '12', eps: 0.1, count: 5, out: other }, 99));
    await expect(cmd('eval').run(ctx('eval', { data: other, methods: 'proposed', model: models }))).rejects.toThrow(
      /different pilot matrix/,
    );
    await expect(cmd('eval').run(ctx('eval', { data, methods: 'amp-mmv,magic' }))).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(cmd('eval').run(ctx('eval', { data, methods: 'lista-gs' }))).rejects.toThrow(/needs --model/);
  });

  it('eval reports a missing key and estimates a missing ε', async () => {
    const d = loadJadceNpz(data);
    const arrays = jadceDataToArrays(d);
    delete arrays.Y;
    const broken = join(dir, 'broken.npz');
    writeNpz(broken, arrays);
    await expect(cmd('eval').run(ctx('eval', { data: broken }))).rejects.toThrow(DatasetFormatError);
    const noEps = jadceDataToArrays(d);
    delete noEps.eps;
    noEps.beta = npyArray('float64', [30], new Float64Array(30).fill(1));
    const f = join(dir, 'noeps.npz');
    writeNpz(f, noEps);
    const out = (await cmd('eval').run(ctx('eval', { data: f, methods: 'amp-mmv' }))) as {
      priors: { eps: number; source: { eps: string } };
    };
    expect(out.priors.source.eps).toBe('estimated');
    expect(out.priors.eps).toBeGreaterThan(0.05);
    expect(out.priors.eps).toBeLessThan(0.2);
    const flagged = (await cmd('eval').run(ctx('eval', { data: f, methods: 'amp-mmv', eps: 0.1 }))) as {
      priors: { source: { eps: string } };
    };
    expect(flagged.priors.source.eps).toBe('flag');
  });

  it('parses SNR ranges and integer lists', () => {
    expect(parseSnr('10')).toBe(10);
    expect(parseSnr('0:20')).toEqual([0, 20]);
    expect(() => parseSnr('a')).toThrow(/--snr/);
    expect(() => parseSnr('20:0')).toThrow(/empty range/);
    expect(parseIntList('8,32', '--M')).toEqual([8, 32]);
    expect(() => parseIntList('8,x', '--M')).toThrow(/--M/);
  });
});
