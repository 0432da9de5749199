/**
 * The Python interpreter the interop tests use: `FT_PYTHON` when set, else the first of `python3` on PATH and the
 * system interpreter of Debian's python3-* packages that can import `module` (a pyenv or venv python3 on PATH
 * usually cannot import python3-optuna). Undefined when none can, so the tests that need it skip.
 */
import { execFileSync } from 'node:child_process';

export function findPython(module: string): string | undefined {
  const candidates = process.env.FT_PYTHON ? [process.env.FT_PYTHON] : ['python3', '/usr/bin/python3'];
  return candidates.find((p) => {
    try {
      execFileSync(p, ['-c', `import ${module}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}
