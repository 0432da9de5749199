// docs/results/README.md sums every results page up in one table. This test keeps it honest: every page has a row,
// every row links a page that exists, and the verdict column repeats the page's own verdict word.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'results');
const indexPath = path.join(resultsDir, 'README.md');

/** The verdict of a results page: the first bold phrase under its "## Verdict" heading, lower-cased, no full stop. */
function pageVerdict(markdown) {
  const section = markdown.split(/^## Verdict\s*$/m)[1];
  if (!section) return null;
  const bold = section.split(/^## /m)[0].match(/\*\*([^*]+)\*\*/);
  return bold ? bold[1].trim().replace(/\.$/, '').toLowerCase() : null;
}

/** The rows of the index table: page file (from the link), verdict cell and the number of cells. */
function indexRows(markdown) {
  return markdown
    .split('\n')
    .filter((line) => /^\| \[/.test(line))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return { file: cells[0].match(/\]\(([^)]+)\)/)?.[1], verdict: cells[3]?.toLowerCase(), cells: cells.length };
    });
}

describe('docs/results/README.md', () => {
  const index = fs.readFileSync(indexPath, 'utf8');
  const rows = indexRows(index);
  const pages = fs.readdirSync(resultsDir).filter((f) => f.endsWith('.md') && f !== 'README.md');

  it('parses verdicts and rows the way the pages write them', () => {
    expect(pageVerdict('# t\n\n## Verdict\n\n**Partly reproduced.**\n\n- x\n## Next\n**no**')).toBe(
      'partly reproduced',
    );
    expect(pageVerdict('# t\n\n## Verdict\n\nnone here\n\n## Next\n\n**bold elsewhere**')).toBeNull();
    expect(indexRows('| [a](a.md) | p | c | Met | n | w |')).toEqual([{ file: 'a.md', verdict: 'met', cells: 6 }]);
  });

  it('has one row of six cells per results page, and no row without a page', () => {
    expect(rows.map((r) => r.file).sort()).toEqual([...pages].sort());
    for (const r of rows) expect(r.cells, r.file).toBe(6);
  });

  it("repeats each page's verdict word", () => {
    for (const r of rows) {
      const verdict = pageVerdict(fs.readFileSync(path.join(resultsDir, r.file), 'utf8'));
      expect(verdict, `${r.file} has no bold verdict under "## Verdict"`).not.toBeNull();
      expect(r.verdict, r.file).toBe(verdict);
    }
  });
});
