// The shipped zoo is consistent: every manifest entry's files exist with the recorded SHA-256, SHA256SUMS lists the
// same checksums, the package's "files" ship them, and the README records each model's provenance command.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (f) => fs.readFileSync(path.join(dir, f));
const manifest = JSON.parse(read('manifest.json').toString('utf8'));
const pkg = JSON.parse(read('package.json').toString('utf8'));
const sha = (f) => createHash('sha256').update(read(f)).digest('hex');

describe('@ft/zoo', () => {
  it('every file of the manifest has its recorded SHA-256, and SHA256SUMS agrees', () => {
    const sums = Object.fromEntries(
      read('SHA256SUMS')
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/).reverse()),
    );
    const listed = manifest.models.flatMap((e) => [e.files.modelJson, e.files.weights]);
    expect(Object.keys(sums).sort()).toEqual([...listed].sort());
    for (const e of manifest.models) {
      for (const k of ['modelJson', 'weights']) {
        expect(sha(e.files[k]), e.files[k]).toBe(e.sha256[k]);
        expect(sums[e.files[k]], e.files[k]).toBe(e.sha256[k]);
      }
    }
    expect(manifest.models.map((e) => e.name)).toEqual(['fashion-mnist-resnet8', 'mnist-resnet8']);
  });

  it('ships the manifest, the checksums and each model folder, and exposes its folder to core', () => {
    for (const e of manifest.models) {
      expect(pkg.files).toContain(`*/${path.posix.basename(e.files.modelJson)}`);
      expect(pkg.files).toContain(`*/${path.posix.basename(e.files.weights)}`);
    }
    expect(pkg.files).toEqual(expect.arrayContaining(['manifest.json', 'SHA256SUMS', 'README.md']));
    expect(pkg.exports).toEqual({ './manifest.json': './manifest.json', './package.json': './package.json' });
    expect(pkg.ft).toMatchObject({ kind: 'library' });
  });

  it('the README records every model with its provenance command', () => {
    const readme = read('README.md').toString('utf8');
    for (const e of manifest.models) {
      expect(readme).toContain(`\`${e.name}\``);
      expect(readme).toContain(`\`${e.command}\``);
    }
  });
});
