import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// import.meta.url (used to locate the .node addon) also works in the CJS build.
export default defineConfig({ ...packageBuild, shims: true });
