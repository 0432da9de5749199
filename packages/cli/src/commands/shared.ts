import { type CommandContext, loadModel, loadZooModel, progressBar } from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Loads a model from `zoo:<name>`, a directory, a model.json path or an http(s) URL. */
export async function loadModelRef(ref: string): Promise<tfl.LayersModel> {
  if (ref.startsWith('zoo:')) return loadZooModel(ref.slice(4));
  return loadModel(ref);
}

/** Training callbacks for a CLI run: a progress bar on stdout when it is a TTY and `--json` is off. */
export function cliCallbacks(ctx: CommandContext) {
  return ctx.json ? [] : [progressBar({ stream: process.stdout })];
}

/** Rounds a fraction to a percentage with 2 decimals. */
export const pct = (x: number) => Math.round(x * 10000) / 100;
