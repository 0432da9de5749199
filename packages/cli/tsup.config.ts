import { defineConfig } from 'tsup';

const common = {
  sourcemap: true,
  target: 'node20' as const,
  platform: 'node' as const,
  external: [/^@tensorflow\//, /^@ft\//],
};

export default defineConfig([
  { ...common, entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: true },
  // The executable uses top-level await, so it is ESM only.
  { ...common, entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false },
]);
