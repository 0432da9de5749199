import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared';

/** Tests of the repository tools (registry, README tables, package generator). */
export default mergeConfig(shared, defineProject({ test: { name: 'tools', include: ['**/*.test.mjs'] } }));
