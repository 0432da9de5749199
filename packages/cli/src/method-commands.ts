import type { CommandSpec } from '@ft/core';

/** Method packages whose `commands` the CLI mounts when they are installed. */
export const METHOD_PACKAGES = [
  '@ft/adafilter',
  '@ft/mahalanobis-ad',
  '@ft/adv-finetune',
  '@ft/ssl-transfer',
  '@ft/hparams',
  '@ft/jadce',
] as const;

/**
 * Loads the `commands` export of every installed method package. A package that is absent is skipped; one
 * that is present but fails to load is reported through `warn` and skipped.
 */
export async function loadMethodCommands(
  warn: (m: string) => void = () => {},
  load: (s: string) => Promise<unknown> = (s) => import(s),
): Promise<CommandSpec[]> {
  const out: CommandSpec[] = [];
  for (const pkg of METHOD_PACKAGES) {
    try {
      const mod = (await load(pkg)) as { commands?: CommandSpec[] };
      if (Array.isArray(mod.commands)) out.push(...mod.commands);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (!/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(msg))
        warn(`[ft] could not load ${pkg}: ${msg.split('\n')[0]}`);
    }
  }
  return out;
}
