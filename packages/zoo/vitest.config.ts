import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(shared, defineProject({ test: { name: 'zoo', include: ['test/**/*.test.mjs'] } }));
