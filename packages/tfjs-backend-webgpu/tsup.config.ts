import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// `webgpu` is ESM-only and carries a native addon: keep it external (loaded with a dynamic import at registration).
export default defineConfig({ ...packageBuild, external: [...(packageBuild.external ?? []), 'webgpu'], shims: true });
