/**
 * The command-line flags of the benchmark scripts that take free-form `--key` options (backend, gpu): `--key value`
 * and `--key=value`; a bare `--key` (last, or followed by another flag) is `true`. Anything else is an error, so a
 * mistyped flag is not silently ignored. Scripts with a fixed option list use node:util `parseArgs` instead.
 */

/**
 * Parses `argv` (without node and the script) into `{ key: value | true }`.
 * @throws Error on an argument that is neither a flag nor a flag's value.
 */
export function parseFlags(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    if (m[2] !== undefined) args[m[1]] = m[2];
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args[m[1]] = argv[++i];
    else args[m[1]] = true;
  }
  return args;
}
