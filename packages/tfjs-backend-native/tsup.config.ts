import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // import.meta.url (used to locate the .node addon) also works in the CJS build.
  shims: true,
  target: 'node20',
  platform: 'node',
  external: [/^@tensorflow\//, /^@ft\//],
});
