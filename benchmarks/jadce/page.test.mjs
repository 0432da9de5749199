import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJadcePage } from './page.mjs';
import { pageConfig, pageRecords } from './test-helpers.mjs';

describe('jadce results page', () => {
  it('writes the five opening sections, a computed verdict and the charts of a cut-short grid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jadce-page-'));
    const file = { config: pageConfig(), training: {}, records: pageRecords(), finished: '2026-01-01T00:00:00Z' };
    const out = join(dir, 'page.md');
    const res = await writeJadcePage(file, { out, svgDir: join(dir, 'jadce'), command: 'node run.mjs --quick' });
    const md = readFileSync(out, 'utf8');
    expect(res.markdown).toBe(md);
    expect(md).toContain('# equivalently: ft jadce bench --quick --seed 0');
    expect(res.summary).toMatchObject({ page: out, verdict: 'reproduced', points: 8 });
    expect(res.summary.shortestL).toEqual({ M32: { oracle: 12, 'amp-mmv': 16, 'cov-ml': 16, proposed: 12 } });
    expect(md).toMatch(/\| Proposed \(reconstruction\) +\| 12 +\|/);
    expect(md).toContain('No training records.');
  });
});
