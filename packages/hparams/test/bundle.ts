/**
 * Test processes run plain Node on a bundle of this package's source (no build of @ft/hparams needed): tsup's esbuild
 * (the repository's build tool) bundles `entry` into one ESM file, with every package left external; @ft/core then
 * resolves to its dist, which is built first when missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's folder. */
export const PKG = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `entry` (relative to the package) into `outfile` for `node outfile`. */
export async function bundleForTest(entry: string, outfile: string): Promise<void> {
  if (!existsSync(join(PKG, '../core/dist/index.js'))) {
    execFileSync('npx', ['tsup'], { cwd: join(PKG, '../core'), stdio: 'ignore' });
  }
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [join(PKG, entry)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
}
