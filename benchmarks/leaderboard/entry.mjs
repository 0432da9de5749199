// What a leaderboard entry is, and where entries come from: every `entries/*.mjs` exports `entries`, so a new method
// package adds one file there (CONTRIBUTING.md, "The cross-package leaderboard") and nothing else changes.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * @typedef {object} RunContext
 * @property {{ train: any, test: any }} data Fashion-MNIST train and test (core ImageDatasets)
 * @property {any} source the pre-trained source model; an entry must leave it unchanged (clone it)
 * @property {{ labeled: any, validation: any, unlabeled: any }} split this seed's split (the same for every method)
 * @property {number} seed
 * @property {typeof import('./protocol.mjs').FULL} cfg the protocol
 */

/**
 * @typedef {object} Entry
 * @property {string} id
 * @property {string} label
 * @property {string} pkg the @ft package whose method this is (its published tarball is what runs)
 * @property {'supervised' | 'unlabelled' | 'robust'} kind 'unlabelled': also trains on unlabelled images
 * @property {'clean' | 'robust'} [selectOn] what the hyperparameter search maximises on validation ['clean']
 * @property {(trial: any) => Record<string, number>} space the search space, define-by-run (@ft/hparams trial)
 * @property {(ctx: RunContext, params: Record<string, number>) => Promise<{ model: any, passes: { train: number, forwardOnly: number }, dispose: () => void }>} train
 */

/** The entry modules' folder. */
export const ENTRIES_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'entries');

/** Every entry of every `entries/*.mjs` (sorted by file, then in file order), with `file` set. Ids must be unique. */
export async function loadEntries(dir = ENTRIES_DIR) {
  const out = [];
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.mjs'))
    .sort()) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    if (!Array.isArray(mod.entries)) throw new Error(`${f}: no 'entries' array export`);
    for (const e of mod.entries) {
      for (const k of ['id', 'label', 'pkg', 'kind', 'space', 'train'])
        if (e[k] === undefined) throw new Error(`${f}: entry ${e.id ?? '?'} lacks '${k}'`);
      if (out.some((o) => o.id === e.id)) throw new Error(`${f}: duplicate entry id '${e.id}'`);
      out.push({ ...e, file: f });
    }
  }
  return out;
}
