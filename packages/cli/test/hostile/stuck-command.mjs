// A child-process fixture for interrupts.test.ts: runs the built runCli with one command that ignores its
// AbortSignal for 30 s (a phase that does not check for an abort, e.g. a slow load), so only a forced exit ends it early.
import { runCli } from '../../dist/index.js';

const stuck = {
  name: 'stuck',
  description: 'waits 30 s, ignoring the abort signal',
  needsBackend: false,
  async run(ctx) {
    ctx.log('stuck: waiting');
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    return { waited: true };
  },
};
process.exitCode = await runCli(process.argv.slice(2), { commands: [stuck] });
