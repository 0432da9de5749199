// The monorepo's package registry, read from the packages themselves: every folder under packages/ with a
// package.json is a package, and its `"ft"` field (kind, commands, summary, paper, results) says what tools do with
// it. The smoke test, the README tables and the method generator read this instead of keeping their own lists.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const packagesDir = path.join(root, 'packages');

/**
 * Every workspace package under packages/ (or under `dir`, e.g. a clone's), sorted by folder name:
 * { dir, folder, json, manifest }.
 */
export function listWorkspacePackages(dir = packagesDir) {
  return fs
    .readdirSync(dir)
    .sort()
    .map((folder) => path.join(dir, folder))
    .filter((d) => fs.existsSync(path.join(d, 'package.json')))
    .map((d) => {
      const json = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
      return { dir: d, folder: path.basename(d), json, manifest: json.ft ?? null };
    });
}

/** The publishable packages (not `private`) under packages/ or `dir`. */
export function publishablePackages(dir = packagesDir) {
  return listWorkspacePackages(dir).filter((p) => !p.json.private);
}

/** The order packages are listed in tables: the shared layers first, then methods by name. */
export function tableOrder(pkgs) {
  const rank = { library: 0, backend: 1, cli: 2, method: 3 };
  return [...pkgs].sort(
    (a, b) => (rank[a.manifest?.kind] ?? 9) - (rank[b.manifest?.kind] ?? 9) || a.folder.localeCompare(b.folder),
  );
}
