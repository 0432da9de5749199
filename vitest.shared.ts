import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/** Shared vitest settings, merged by every package's vitest.config.ts. Workspace packages resolve to source. */
export const shared = defineConfig({
  resolve: {
    alias: {
      '@ft/core': src('core'),
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
