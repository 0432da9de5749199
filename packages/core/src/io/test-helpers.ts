import Module from 'node:module';

/**
 * Runs `fn` with Node's global module folders (`NODE_PATH`, which pnpm sets for the tools it runs, and the home
 * folders) switched off, so a package counts as installed only when a `node_modules` folder above the base holds it.
 */
export function withoutGlobalNodePaths<T>(fn: () => T): T {
  const m = Module as unknown as { _initPaths(): void };
  const saved = process.env.NODE_PATH;
  const savedHome = process.env.HOME;
  process.env.NODE_PATH = '';
  process.env.HOME = '/nonexistent';
  m._initPaths();
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.NODE_PATH;
    else process.env.NODE_PATH = saved;
    if (savedHome === undefined) delete process.env.HOME;
    else process.env.HOME = savedHome;
    m._initPaths();
  }
}
