import { fileURLToPath } from 'node:url';
import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared';

const packagesDir = fileURLToPath(new URL('../packages/', import.meta.url));

// The benchmarks' own tests (`*.test.mjs`). Workspace packages resolve to their TypeScript source, so no build is needed.
export default mergeConfig(
  shared,
  defineProject({
    resolve: {
      alias: [
        { find: /^@ft\/jadce$/, replacement: `${packagesDir}jadce/src/index.ts` },
        { find: /^@ft\/adafilter$/, replacement: `${packagesDir}adafilter/src/index.ts` },
        { find: /^@ft\/report$/, replacement: `${packagesDir}report/src/index.ts` },
      ],
    },
    test: { name: 'benchmarks', include: ['**/*.test.mjs'], exclude: ['**/node_modules/**'] },
  }),
);
