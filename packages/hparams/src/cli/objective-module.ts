/**
 * The objective module of `ft hparams search --objective <module>`: an ES (or CommonJS) module whose default export
 * is `async (trial) => number`, optionally exporting `direction` and, for grid search, `searchSpace`.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '@ft/core';
import type { CategoricalChoice } from '../engine/distributions.js';
import type { StudyDirection } from '../engine/storage.js';
import type { Objective } from '../engine/study.js';

/** What {@link loadObjectiveModule} found in the module. */
export interface ObjectiveModule {
  /** Absolute path of the module. */
  readonly path: string;
  /** The default export. */
  readonly objective: Objective;
  /** The `direction` export, or null when the module has none. */
  readonly direction: StudyDirection | null;
  /** The `searchSpace` export (grid search), or null. */
  readonly searchSpace: Record<string, readonly CategoricalChoice[]> | null;
}

/**
 * Imports the objective module at `file`. A missing file, a folder, a module that fails to import, a default export
 * that is not a function, a `direction` other than 'minimize'/'maximize' and a `searchSpace` that is not an object of
 * non-empty arrays are InvalidArgumentErrors naming the file.
 */
export async function loadObjectiveModule(file: string): Promise<ObjectiveModule> {
  if (typeof file !== 'string' || file === '')
    throw new InvalidArgumentError('--objective: give the path of a module whose default export is the objective');
  const path = resolve(file);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new InvalidArgumentError(`--objective: no module at ${path}`, { path });
  }
  if (!isFile) throw new InvalidArgumentError(`--objective: ${path} is not a file`, { path });
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgumentError(
      `--objective: could not import ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { path },
      { cause: e },
    );
  }
  const objective = mod.default;
  if (typeof objective !== 'function')
    throw new InvalidArgumentError(
      `--objective: ${path} has no default export function (write \`export default async (trial) => value\`)`,
      { path },
    );
  const direction = mod.direction;
  if (direction !== undefined && direction !== 'minimize' && direction !== 'maximize')
    throw new InvalidArgumentError(
      `--objective: ${path} exports direction ${JSON.stringify(direction)}; expected 'minimize' or 'maximize'`,
      { path },
    );
  const space = mod.searchSpace;
  if (space !== undefined) {
    const ok =
      space !== null &&
      typeof space === 'object' &&
      !Array.isArray(space) &&
      Object.values(space).every((v) => Array.isArray(v) && v.length > 0);
    if (!ok)
      throw new InvalidArgumentError(
        `--objective: ${path} exports a searchSpace that is not an object of non-empty arrays ({ name: [values] })`,
        { path },
      );
  }
  return {
    path,
    objective: objective as Objective,
    direction: (direction as StudyDirection | undefined) ?? null,
    searchSpace: (space as Record<string, readonly CategoricalChoice[]> | undefined) ?? null,
  };
}
