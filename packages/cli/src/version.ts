/**
 * `ft --version` / `ft -V`: the version of @ft/cli and of the @ft/core and method packages it found, each read from
 * its package.json (the same discovery that mounts the method commands).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatKeyValues } from './format.js';
import { cliPackageDir, discoverFtPackages, type FtPackage } from './method-commands.js';

/** What `ft --version` prints (`--json` prints this object). */
export interface VersionReport {
  /** `@ft/cli`. */
  cli: string;
  /** `@ft/core`, or `'not found'`. */
  core: string;
  /** Each discovered method package by name. */
  methods: Record<string, string>;
}

function readVersion(dir: string | null): string | null {
  if (!dir) return null;
  try {
    const v = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** The folder of the @ft/core that the CLI at `cliDir` resolves (its dependency), or null. */
function resolvedCoreDir(cliDir: string | null): string | null {
  if (!cliDir) return null;
  try {
    return dirname(createRequire(join(cliDir, 'package.json')).resolve('@ft/core/package.json'));
  } catch {
    return null;
  }
}

/**
 * The versions of @ft/cli, @ft/core and the method packages in `packages` (default: those discovered beside the CLI
 * and in `node_modules/@ft`). @ft/core is the discovered one, else the one the CLI's own package resolves.
 */
export function versionReport(packages: readonly FtPackage[] = discoverFtPackages()): VersionReport {
  const cliDir = cliPackageDir();
  const core = packages.find((p) => p.name === '@ft/core');
  const methods = Object.fromEntries(
    packages
      .filter((p) => p.manifest.kind === 'method')
      .map((p) => [p.name, p.version] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return {
    cli: readVersion(cliDir) ?? 'unknown',
    core: core?.version || readVersion(resolvedCoreDir(cliDir)) || 'not found',
    methods,
  };
}

/** The report as aligned `name  version` lines. */
export function formatVersionReport(r: VersionReport): string {
  const rows: [string, string][] = [['@ft/cli', r.cli], ['@ft/core', r.core], ...Object.entries(r.methods)];
  if (Object.keys(r.methods).length === 0) rows.push(['method packages', 'none found']);
  return formatKeyValues(rows).join('\n');
}
