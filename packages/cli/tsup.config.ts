import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

export default defineConfig([
  packageBuild,
  // The executable uses top-level await, so it is ESM only.
  { ...packageBuild, entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false },
]);
