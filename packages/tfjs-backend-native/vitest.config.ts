import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'tfjs-backend-native',
      include: ['src/**/*.test.ts'],
      // Split loops across threads from 4k elements (default 32k, 512k with passive OpenMP waiting) so that the small
      // test tensors also exercise the parallel code paths (partial sums, row splits, odometer starts).
      // The bf16 stall guard is off: on a loaded test machine a real stall would switch some backward-weights calls
      // to another oneDNN kernel (another summation order) and break the bit-for-bit comparisons between bf16 runs.
      // bf16-stall-guard.test.ts turns it on, with thresholds that make it deterministic.
      env: { FT_NATIVE_PARALLEL_MIN: '4096', FT_NATIVE_STALL_GUARD: '0' },
    },
  }),
);
