import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'tfjs-backend-native',
      include: ['src/**/*.test.ts'],
      // Split loops across threads from 4k elements (default 512k with passive OpenMP waiting) so that the small
      // test tensors also exercise the parallel code paths (partial sums, row splits, odometer starts).
      env: { FT_NATIVE_PARALLEL_MIN: '4096' },
    },
  }),
);
