// Public API of @ft/ssl-transfer: named exports only, grouped by concern.

// CLI commands (mounted by `ft` through the "ft" field of package.json).
export { commands } from './commands.js';
// Method.
export { sslTransferVersion } from './ssl-transfer.js';
