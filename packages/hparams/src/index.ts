// Public API of @ft/hparams: named exports only, grouped by concern.

// CLI commands (mounted by `ft` through the "ft" field of package.json).
export { commands } from './commands.js';
// Method.
export { hparamsVersion } from './hparams.js';
