/**
 * Finds the installed @ft packages that contribute CLI commands and loads their `commands` export. A package joins by
 * declaring `"ft": { "commands": true, ... }` in its package.json ({@link FtPackageManifest}); the CLI lists no
 * package by name. It looks in the folder that holds the CLI's own package (the `@ft` scope folder of an npm install,
 * or `packages/` in the monorepo) and in `node_modules/@ft` of the working directory and its parents.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandSpec, FtPackageManifest } from '@ft/core';

/** An installed package that declares an `ft` manifest. */
export interface FtPackage {
  name: string;
  version: string;
  /** Its folder (as found, not resolved through symlinks). */
  dir: string;
  manifest: FtPackageManifest;
}

/** Where {@link discoverFtPackages} looks when no folders are given. */
export function defaultSearchDirs(cwd = process.cwd()): string[] {
  const dirs: string[] = [];
  const own = cliPackageDir();
  if (own) {
    dirs.push(dirname(own));
    try {
      dirs.push(dirname(realpathSync(own)));
    } catch {}
  }
  for (let d = resolve(cwd); ; d = dirname(d)) {
    dirs.push(join(d, 'node_modules', '@ft'));
    if (dirname(d) === d) break;
  }
  return [...new Set(dirs)];
}

/**
 * Lists the packages with an `ft` manifest in `searchDirs` (each a folder of package folders), first found wins for
 * a name. Folders that are absent or unreadable, and packages without a manifest, are skipped.
 */
export function discoverFtPackages(searchDirs: readonly string[] = defaultSearchDirs()): FtPackage[] {
  const found = new Map<string, FtPackage>();
  for (const scope of searchDirs) {
    let entries: string[];
    try {
      entries = readdirSync(scope).sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      const dir = join(scope, entry);
      const json = readPackageJson(dir);
      if (!json || typeof json.name !== 'string' || found.has(json.name)) continue;
      const manifest = json.ft as FtPackageManifest | undefined;
      if (!manifest || typeof manifest !== 'object') continue;
      found.set(json.name, { name: json.name, version: String(json.version ?? ''), dir, manifest });
    }
  }
  return [...found.values()];
}

/** Imports an installed package by folder: its ESM entry from the `exports` map. */
export async function importFtPackage(pkg: FtPackage): Promise<unknown> {
  const json = readPackageJson(pkg.dir) ?? {};
  const entry = esmEntry(json);
  if (!entry) throw new Error(`${pkg.name} has no ESM entry in its package.json exports`);
  return import(pathToFileURL(join(pkg.dir, entry)).href);
}

/**
 * Loads the `commands` of every discovered package with `ft.commands: true`. One that fails to load is reported
 * through `warn` and skipped, so a broken method package never takes the rest of the CLI down.
 */
export async function loadMethodCommands(
  warn: (m: string) => void = () => {},
  load: (pkg: FtPackage) => Promise<unknown> = importFtPackage,
  packages: readonly FtPackage[] = discoverFtPackages(),
): Promise<CommandSpec[]> {
  const out: CommandSpec[] = [];
  for (const pkg of packages) {
    if (pkg.manifest.commands !== true) continue;
    try {
      const mod = (await load(pkg)) as { commands?: CommandSpec[] };
      if (!Array.isArray(mod.commands)) {
        warn(`[ft] ${pkg.name} declares ft.commands but exports no \`commands\` array`);
        continue;
      }
      out.push(...mod.commands);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      warn(`[ft] could not load ${pkg.name}: ${msg.split('\n')[0]}`);
    }
  }
  return out;
}

function readPackageJson(dir: string): Record<string, unknown> | null {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function esmEntry(json: Record<string, unknown>): string | null {
  const dot = (json.exports as Record<string, unknown> | undefined)?.['.'];
  const imp = dot && typeof dot === 'object' ? (dot as Record<string, unknown>).import : dot;
  if (typeof imp === 'string') return imp;
  if (imp && typeof imp === 'object' && typeof (imp as { default?: unknown }).default === 'string')
    return (imp as { default: string }).default;
  return typeof json.module === 'string' ? json.module : null;
}

/** The folder of the @ft/cli package this code runs from (`src/` in tests, `dist/` when built). */
export function cliPackageDir(): string | null {
  // `import.meta.url` in the ESM build; esbuild empties `import.meta` in the CJS build, which has `__filename`.
  const metaUrl = (import.meta as { url?: string }).url;
  const here = metaUrl?.startsWith('file:') ? fileURLToPath(metaUrl) : typeof __filename === 'string' ? __filename : '';
  if (!here || !isAbsolute(here)) return null;
  try {
    return dirname(createRequire(here).resolve('@ft/cli/package.json'));
  } catch {
    return resolve(dirname(here), '..');
  }
}
