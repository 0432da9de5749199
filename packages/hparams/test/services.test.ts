/**
 * The Redis and Python Optuna tests skip, with a message, on a machine without redis-server or python3-optuna. CI
 * must not skip them silently: `.ci/run` sets FT_REQUIRE_SERVICES=1 after scripts/bootstrap.sh has installed both, and
 * then this test fails when either is missing.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findPython } from './python.js';
import { REDIS_SERVER } from './redis-server.js';

describe.runIf(process.env.FT_REQUIRE_SERVICES === '1')(
  'services the hparams tests need (FT_REQUIRE_SERVICES=1)',
  () => {
    it('redis-server is installed', () => {
      expect(REDIS_SERVER, 'redis-server not found: apt-get install redis-server').toBeTruthy();
    });

    it('a Python with optuna and redis is installed', () => {
      const python = findPython('optuna');
      expect(python, 'no python3 imports optuna: apt-get install python3-optuna').toBeTruthy();
      expect(() => execFileSync(python as string, ['-c', 'import redis'], { stdio: 'ignore' })).not.toThrow();
    });
  },
);
