import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiFile, apiSurface } from './api-surface.mjs';

describe('public API snapshot (docs/api/)', () => {
  const surface = apiSurface();

  it('matches the exported names of every entry point: run node scripts/api-surface.mjs after a deliberate change', () => {
    for (const [name, text] of Object.entries(surface)) {
      const file = apiFile(name);
      expect(fs.existsSync(file), `${file} is missing`).toBe(true);
      expect(text, `${name}: the public API changed; review and run node scripts/api-surface.mjs`).toBe(
        fs.readFileSync(file, 'utf8'),
      );
    }
  });

  it('resolves every export to a declaration, and each name has one meaning across the packages', () => {
    // `commands` is the registry's contract: every method package exports its CLI commands under that name.
    const shared = new Set(['commands']);
    const meaning = new Map();
    for (const [pkg, text] of Object.entries(surface)) {
      expect(text, pkg).not.toMatch(/\| unknown \|/);
      for (const [, name, kind] of text.matchAll(/^\| `([^`]+)` \| ([^|]+) \|$/gm)) {
        if (shared.has(name)) continue;
        const seen = meaning.get(name);
        // the same name may be re-exported by a subpath of the same package, never redefined by another package
        if (seen && seen.pkg !== pkg)
          expect.fail(`${name} is exported by ${seen.pkg} (${seen.kind}) and ${pkg} (${kind})`);
        meaning.set(name, { pkg, kind });
      }
    }
  });
});
