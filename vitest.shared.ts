import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

/** Shared vitest settings, merged by every package's vitest.config.ts. Workspace packages resolve to source. */
export const shared = defineConfig({
  resolve: {
    // `@ft/core` and its subpaths (`@ft/core/data`, `@ft/core/testing`, ...) resolve to their TypeScript source.
    alias: [
      { find: /^@ft\/core$/, replacement: `${packagesDir}core/src/index.ts` },
      { find: /^@ft\/core\/([a-z-]+)$/, replacement: `${packagesDir}core/src/$1/index.ts` },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
