import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchRecord, methodFlops, runJadceBenchmark, shortestL } from './benchmark.js';

function rec(method: string, M: number, L: number, aer: number, nmseDb: number, ms: number): BenchRecord {
  return {
    group: 'grid',
    M,
    L,
    snrDb: 10,
    eps: 0.05,
    method,
    count: 100,
    nmseDb,
    nmseActiveDb: nmseDb,
    pMiss: aer,
    pFa: aer,
    aer,
    auroc: 0.99,
    threshold: 0.5,
    msPerSample: ms,
    iterations: 10,
    blockNmseDb: [nmseDb - 0.1, nmseDb + 0.1],
    blockAer: [aer, aer],
  };
}

/** A small quick-run benchmark configuration for page tests. */
function pageConfig(overrides: Record<string, unknown> = {}) {
  return {
    N: 100,
    eps: 0.05,
    Ms: [32],
    Ls: [12, 16],
    snrs: [10],
    Lref: 16,
    snrRef: 10,
    count: 100,
    slowCount: 50,
    valCount: 50,
    stepsPerStage: 1,
    samples: 10,
    batch: 8,
    T: 2,
    J: 1,
    seed: 0,
    quick: true,
    rank: 8,
    ...overrides,
  };
}

describe('benchmark page', () => {
  const records = [12, 16].flatMap((L) => [
    rec('oracle', 32, L, 0, -15, 0.1),
    rec('amp-mmv', 32, L, L === 12 ? 0.02 : 0.001, -12, 20),
    rec('cov-ml', 32, L, L === 12 ? 0.05 : 0.004, -13, 2),
    rec('proposed', 32, L, L === 12 ? 0.005 : 0.0001, -13.2, 5),
  ]);

  it('finds the shortest pilot length reaching AER ≤ 1e-2', () => {
    expect(shortestL(records, 'proposed', 32, 10)).toBe(12);
    expect(shortestL(records, 'amp-mmv', 32, 10)).toBe(16);
    expect(shortestL(records, 'cov-ml', 32, 10)).toBe(16);
    expect(shortestL(records, 'amp-mmv', 8, 10)).toBeUndefined();
  });

  it('rebuilds the results page from a records file with the five opening sections and a computed verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jadce-page-'));
    const config = pageConfig();
    const path = join(dir, 'records.json');
    writeFileSync(path, JSON.stringify({ config, training: {}, records, finished: '2026-01-01T00:00:00Z' }));
    const out = join(dir, 'page.md');
    const res = await runJadceBenchmark({ pageOnly: true, records: path, out, command: 'node run.mjs --quick' });
    const md = readFileSync(out, 'utf8');
    const heads = ['## Command', '## Backend, machine and date', '## Seeds', "## Paper's claim", '## Verdict'].map(
      (h) => md.indexOf(h),
    );
    expect(heads.every((i, k) => i > 0 && (k === 0 || i > heads[k - 1]))).toBe(true);
    // proposed needs a strictly shorter L (12 < 16), is within 0.5 dB of the best baseline NMSE and faster than the
    // only iterative method present (AMP-MMV; covariance ML is not counted as iterative) → reproduced
    expect(res.summary.verdict).toBe('reproduced');
    expect(md).toContain('Sizes cut to fit the machine');
    expect(md).toContain('mean ± std');
    expect(md).toMatch(/!\[AER vs L, M = 32\]\(jadce\/aer-vs-L-M32\.svg\)/);
  });

  it('skips a chart with no points (a cut-short grid) instead of failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jadce-page-'));
    // Two SNRs configured, but records only at another pilot length than Lref: the NMSE-vs-SNR chart has no series.
    const config = pageConfig({ snrs: [0, 10], Lref: 20 });
    const path = join(dir, 'records.json');
    writeFileSync(path, JSON.stringify({ config, training: {}, records, finished: '2026-01-01T00:00:00Z' }));
    const out = join(dir, 'page.md');
    await runJadceBenchmark({ pageOnly: true, records: path, out, command: 'node run.mjs --quick' });
    const md = readFileSync(out, 'utf8');
    expect(md).not.toMatch(/nmse-vs-snr-M32\.svg/);
    expect(md).toMatch(/aer-vs-L-M32\.svg/);
  });

  it('an aborted run keeps its records but writes no page and throws ABORTED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jadce-bench-abort-'));
    const out = join(dir, 'jadce.md');
    const controller = new AbortController();
    controller.abort();
    await expect(
      runJadceBenchmark({
        quick: true,
        out,
        count: 20,
        slowCount: 10,
        valCount: 10,
        stepsPerStage: 1,
        samples: 16,
        modelDir: join(dir, 'models'),
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(out)).toBe(false);
  });

  it('counts FLOPs per iteration (8 real flops per complex multiply-add)', () => {
    expect(methodFlops('amp-mmv', { L: 20, N: 100, M: 32 })).toBe(16 * 20 * 100 * 32 + 10 * 100 * 32);
    expect(methodFlops('proposed', { L: 20, N: 100, M: 32 })).toBeLessThan(
      methodFlops('proposed-nodr', { L: 20, N: 100, M: 32 }),
    );
  });
});
