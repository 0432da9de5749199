import os from 'node:os';
import { defineCommand } from '@ft/core';

/**
 * `ft info`: the chosen backend and why, the available backends, versions and threads; on `ft-webgpu` the GPU
 * adapter (vendor, device, driver, Dawn backend).
 */
export const infoCommand = defineCommand({
  name: 'info',
  description: 'Show the chosen tfjs backend (and why), available backends, versions and threads',
  examples: ['ft info', 'ft info --backend ft-native,cpu --json', 'ft info --backend ft-webgpu'],
  async run(ctx) {
    const b = ctx.backend;
    const adapter = b.details?.adapter as Record<string, unknown> | null | undefined;
    const available = b.attempts.filter((a) => a.ok).map((a) => a.name);
    const unavailable = Object.fromEntries(b.attempts.filter((a) => !a.ok).map((a) => [a.name, a.reason ?? '']));
    return {
      backend: b.name,
      package: b.package,
      gpu: b.gpu,
      threads: b.threads,
      ...(adapter
        ? {
            adapter: {
              vendor: adapter.vendor,
              device: adapter.device,
              driver: adapter.description,
              architecture: adapter.architecture,
              dawnBackend: adapter.backend,
              software: adapter.software,
            },
          }
        : {}),
      available,
      unavailable,
      ...(b.fallbackReason ? { fallbackReason: b.fallbackReason } : {}),
      versions: { ...b.versions, node: process.versions.node },
      ...(b.details ? { details: b.details } : {}),
      machine: {
        platform: `${os.platform()}-${os.arch()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      },
    };
  },
});
