import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packageResolutionBases, resolvePackageDir } from './package-dir.js';
import { withoutGlobalNodePaths } from './test-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ft-pkgdir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder `<tmp>/<app>` with `node_modules/<name>/package.json`; returns a file inside the app. */
function appWith(app: string, name: string): string {
  const dir = join(tmp, app, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
  return join(tmp, app, 'index.js');
}

describe('resolvePackageDir', () => {
  it('resolves by name from each base in order (paths and file: URLs), null with the error when none finds it', () => {
    const a = appWith('a', '@scope/pkg');
    const b = appWith('b', '@scope/pkg');
    const bare = join(tmp, 'bare', 'index.js');
    withoutGlobalNodePaths(() => {
      expect(resolvePackageDir('@scope/pkg', [a, b]).dir).toBe(join(tmp, 'a', 'node_modules', '@scope', 'pkg'));
      expect(resolvePackageDir('@scope/pkg', [bare, pathToFileURL(b).href]).dir).toBe(
        join(tmp, 'b', 'node_modules', '@scope', 'pkg'),
      );
      const none = resolvePackageDir('@scope/pkg', [bare]);
      expect(none.dir).toBeNull();
      expect((none.error as NodeJS.ErrnoException).code).toBe('MODULE_NOT_FOUND');
    });
  });

  it('starts from core itself, then the working directory', () => {
    const bases = packageResolutionBases();
    expect(bases.at(-1)).toBe(join(process.cwd(), 'index.js'));
    expect(bases.length).toBeGreaterThanOrEqual(2);
    // here core resolves its own devDependencies the way an installed copy resolves its peers
    expect(resolvePackageDir('pngjs').dir).toBe(dirname(createRequire(import.meta.url).resolve('pngjs/package.json')));
  });
});
