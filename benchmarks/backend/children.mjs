/**
 * Child processes of the backend benchmarks (run.mjs, scaling.mjs): each measurement runs in its own process, one at a
 * time, and prints one `RESULT {json}` line.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Runs `cmd argv` with extra `env`, one child at a time; returns the parsed `RESULT` line, or `{ error }` with the last
 * stderr lines when there is none. A child that printed its result and then exited non-zero (e.g. a crash while a GPU
 * runtime tears down) keeps its result, with a warning. Options: `tag` (log prefix), `timeoutMs`, `describe` (the
 * summary logged for a result).
 */
export function runChild(cmd, argv, label, env = {}, { tag = 'bench', timeoutMs, describe = summarize } = {}) {
  process.stderr.write(`[${tag}] ${label} ...\n`);
  const t0 = Date.now();
  const res = spawnSync(cmd, argv, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
    ...(timeoutMs ? { timeout: timeoutMs } : {}),
  });
  const line = (res.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  const tail = (res.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  if (!line) {
    const err = tail || `exit ${res.status ?? res.signal}`;
    process.stderr.write(`[${tag}] ${label} FAILED: ${err}\n`);
    return { error: err };
  }
  if (res.status !== 0)
    process.stderr.write(`[${tag}] ${label}: exited ${res.status ?? res.signal} after its result\n`);
  const r = JSON.parse(line.slice(7));
  process.stderr.write(`[${tag}] ${label}: ${describe(r)} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  return r;
}

/** The default summary of a result: its training and inference images/s. */
function summarize(r) {
  return JSON.stringify({
    train: r.train?.imgPerSec ?? (r.nchw ?? r.cl)?.train,
    infer: r.infer?.imgPerSec ?? (r.nchw ?? r.cl)?.infer,
  });
}

/** Finds a Python with torch; installs Debian's python3-torch with apt when none has it. */
export function findTorchPython() {
  const candidates = ['/usr/bin/python3', 'python3'];
  const hasTorch = (py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  for (const py of candidates) if (hasTorch(py)) return { py };
  process.stderr.write('[bench] PyTorch not found: installing python3-torch with apt-get ...\n');
  const asRoot = process.getuid?.() === 0;
  const cmd = asRoot ? 'apt-get' : 'sudo';
  const pre = asRoot ? [] : ['-n', 'apt-get'];
  try {
    execFileSync(cmd, [...pre, 'install', '-y', '-qq', 'python3-torch'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (e) {
    return { error: `could not install python3-torch (${e.message.split('\n')[0]})` };
  }
  for (const py of candidates) if (hasTorch(py)) return { py };
  return { error: 'python3-torch installed but `import torch` still fails' };
}
