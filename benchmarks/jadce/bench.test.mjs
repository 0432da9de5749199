import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJadceBenchmark } from './bench.mjs';
import { pageConfig, pageRecords } from './test-helpers.mjs';

describe('benchmark page', () => {
  const records = pageRecords();

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
});
