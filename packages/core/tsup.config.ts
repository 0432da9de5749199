import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

/** Subpath entry points: `@ft/core/<name>` is built from `src/<name>/index.ts` (see the package.json exports map). */
export const CORE_SUBPATHS = ['augment', 'data', 'linalg', 'metrics', 'models', 'train', 'internal', 'testing'];

export default defineConfig({
  ...packageBuild,
  entry: {
    index: 'src/index.ts',
    ...Object.fromEntries(CORE_SUBPATHS.map((name) => [name, `src/${name}/index.ts`])),
  },
  // One copy of each module (FtError, the backend registry) shared by every entry, in both builds: without
  // splitting, `@ft/core` and `@ft/core/data` would each bundle their own classes and `instanceof` would fail.
  splitting: true,
  // mnist.ts reads import.meta.url; the split CJS build needs the shim (the unsplit one emptied import.meta).
  shims: true,
});
