import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(
  shared,
  defineProject({ test: { name: 'adafilter', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } }),
);
