import type { Callback, EpochLogs, StepLogs, TrainContext } from './callback.js';

/** A writable text stream (e.g. `process.stderr`). Rendering happens only when `isTTY` is true. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/** Options of `progressBar`. */
export interface ProgressBarOptions {
  /** Output stream. Default `process.stderr`. */
  stream?: ProgressStream;
  /** Bar width in characters. Default 20. */
  width?: number;
  /** Minimum time between redraws. Default 100 ms. */
  minIntervalMs?: number;
}

/** Formats seconds as `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toExponential(2));

/**
 * A one-line progress display on a terminal: epoch, a bar (once the steps per epoch are known), loss, lr, img/s and
 * ETA; each finished epoch leaves a summary line. Silent when the stream is not a TTY (CI logs, pipes). The ETA
 * uses the mean step time of the current epoch times the remaining steps (of the run if `epochs`/`steps` and the
 * epoch length are known, else of the epoch).
 * @param opts `{stream = process.stderr, width = 20, minIntervalMs = 100}`.
 */
export function progressBar(opts: ProgressBarOptions = {}): Callback {
  const stream = opts.stream ?? (process.stderr as ProgressStream);
  const width = opts.width ?? 20;
  const minInterval = opts.minIntervalMs ?? 100;
  const on = () => stream.isTTY === true;
  let epochStart = 0;
  let stepsAtStart = 0;
  let images = 0;
  let lastDraw = -Infinity;
  let lossSum = 0;
  let nSteps = 0;

  const line = (text: string) => {
    const cols = stream.columns ?? 120;
    stream.write(`\r\x1b[2K${text.length > cols - 1 ? text.slice(0, cols - 1) : text}`);
  };
  const epochLabel = (epoch: number, ctx: TrainContext) =>
    `epoch ${epoch + 1}${ctx.epochs != null ? `/${ctx.epochs}` : ''}`;

  return {
    name: 'progressBar',
    onEpochBegin(_epoch: number, ctx: TrainContext) {
      epochStart = performance.now();
      stepsAtStart = ctx.stepInEpoch;
      images = 0;
      lossSum = 0;
      nSteps = 0;
      lastDraw = -Infinity;
    },
    onStepEnd(_step: number, logs: StepLogs, ctx: TrainContext) {
      if (!on()) return;
      images += logs.batchSize;
      lossSum += logs.loss;
      nSteps += 1;
      const now = performance.now();
      const spe = ctx.stepsPerEpoch;
      const last = spe != null && ctx.stepInEpoch >= spe;
      if (now - lastDraw < minInterval && !last) return;
      lastDraw = now;
      const elapsed = (now - epochStart) / 1000;
      const perStep = elapsed / Math.max(1, ctx.stepInEpoch - stepsAtStart);
      let remaining = Number.NaN;
      if (ctx.steps != null) remaining = ctx.steps - ctx.step;
      if (spe != null) {
        const inEpoch = spe - ctx.stepInEpoch;
        const byEpochs = ctx.epochs != null ? inEpoch + (ctx.epochs - ctx.epoch - 1) * spe : inEpoch;
        remaining = Number.isNaN(remaining) ? byEpochs : Math.min(remaining, byEpochs);
      }
      const parts = [epochLabel(ctx.epoch, ctx)];
      if (spe != null) {
        const filled = Math.min(width, Math.round((width * ctx.stepInEpoch) / spe));
        parts.push(`[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`);
        parts.push(`${ctx.stepInEpoch}/${spe}`);
      } else {
        parts.push(`step ${ctx.stepInEpoch}`);
      }
      parts.push(`loss ${fmt(lossSum / nSteps)}`, `lr ${logs.lr.toExponential(2)}`);
      parts.push(`${(images / Math.max(elapsed, 1e-9)).toFixed(1)} img/s`);
      parts.push(`ETA ${Number.isNaN(remaining) ? '?' : formatDuration(remaining * perStep)}`);
      line(parts.join(' '));
    },
    onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainContext) {
      if (!on()) return;
      const secs = (performance.now() - epochStart) / 1000;
      const extras = Object.entries(logs)
        .filter(([k]) => k !== 'loss' && k !== 'lr')
        .map(([k, v]) => `${k} ${fmt(v)}`);
      line(
        [
          epochLabel(epoch, ctx),
          `loss ${fmt(logs.loss)}`,
          ...extras,
          `${(images / Math.max(secs, 1e-9)).toFixed(1)} img/s`,
          `${secs.toFixed(1)}s`,
        ].join(' '),
      );
      stream.write('\n');
    },
  };
}
