import { formatDuration, type ProgressReporter } from '@ft/core';

/** A minimal terminal progress bar (label, bar, count, rate, ETA). Renders only on a TTY stream. */
export function createProgressBar(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  total: number,
  label: string,
  now: () => number = () => performance.now(),
): ProgressReporter {
  if (!stream.isTTY || total <= 0) return { update() {}, done() {} };
  const start = now();
  let last = 0;
  const render = (done: number, info = '') => {
    const frac = Math.min(1, done / total);
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
    const filled = Math.round(frac * width);
    const secs = (now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s ETA ${formatDuration(eta)} ${info}`;
    stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
  };
  return {
    update(done, info) {
      const t = now();
      if (t - last < 100 && done < total) return;
      last = t;
      render(done, info);
    },
    done() {
      render(total);
      stream.write('\n');
    },
  };
}
