import type { Options } from 'tsup';

/**
 * The build every publishable package shares: ESM + CJS + .d.ts from `src/index.ts`, Node 20, with tfjs and
 * the @ft packages external (they are peers, so the user's app holds one instance of each).
 */
export const packageBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  external: [/^@tensorflow\//, /^@ft\//],
};
