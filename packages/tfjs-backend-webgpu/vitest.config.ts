import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'tfjs-backend-webgpu',
      include: ['src/**/*.test.ts'],
      // The software adapter (Dawn's OpenGL backend on Mesa llvmpipe) is what CI has; tests that need an adapter
      // allow it explicitly, and fail instead of skipping when FT_REQUIRE_SERVICES=1 and none exists.
      env: { EGL_PLATFORM: 'surfaceless' },
    },
  }),
);
