/**
 * One way for every command and method to resolve a model reference (`--source`, `--model`, `--backbone`): a zoo
 * name or a saved model's location.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors.js';
import { type LoadModelOptions, loadModel } from './save-load.js';
import { loadZooModel } from './zoo.js';

/** Prefix that marks a model reference as a zoo entry name: `zoo:mnist-resnet8`. */
export const ZOO_REF_PREFIX = 'zoo:';

/**
 * Loads a model by reference: `zoo:<name>` loads the checksum-verified zoo entry (`loadZooModel`); anything else is a
 * directory, a model.json path, a `file://` URL or an `http(s)://` URL (`loadModel`).
 * Errors are core's: an empty or non-string reference ⇒ InvalidArgumentError; a zoo name holding a path
 * (`zoo:../x`) ⇒ InvalidArgumentError; an unknown zoo name or a missing file ⇒ ModelFileNotFoundError; a corrupt
 * model or a checksum mismatch ⇒ ModelFormatError; weight paths leaving the model folder ⇒ UnsafePathError.
 * @param ref `zoo:<name>` or a model location.
 * @param opts `zooDir` (for zoo references) and the options of `loadModel` (`strict`, `ftBatchNorm`, `fetch`, ...).
 */
export async function loadModelRef(
  ref: string,
  opts: { zooDir?: string } & LoadModelOptions = {},
): Promise<tfl.LayersModel> {
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new InvalidArgumentError(
      'loadModelRef: the model reference must be a non-empty string (zoo:<name> or a path)',
    );
  }
  if (ref.startsWith(ZOO_REF_PREFIX)) return loadZooModel(ref.slice(ZOO_REF_PREFIX.length), opts);
  const { zooDir: _z, ...loadOpts } = opts;
  return loadModel(ref, loadOpts);
}
