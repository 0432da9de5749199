/**
 * Issue 18: `--backend ft-webgpu` selects @ft/tfjs-backend-webgpu through core's initBackend, and a quick transfer
 * run (`ft finetune`) trains on it unchanged. CI has no GPU: this runs on the software adapter (Dawn's OpenGL backend
 * over Mesa llvmpipe, FT_WEBGPU_SOFTWARE=1), for correctness, never speed. It is compared with the `cpu` backend on
 * the same seed: float32 on llvmpipe rounds differently, so losses agree to 1e-4, not bit for bit.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBackbone, saveModel } from '@ft/core';
import { registerWebGpuForTests } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from './builtin-commands.js';
import { runCli } from './run-cli.js';
import { capture, writeFolderDataset } from './test-helpers.js';

let tmp: string;
let data: string;
let sourceDir: string;
let available = false;
beforeAll(async () => {
  available = await registerWebGpuForTests();
  process.env.FT_WEBGPU_SOFTWARE = '1';
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-webgpu-cli-'));
  data = await writeFolderDataset(path.join(tmp, 'data'), 8, 6);
  sourceDir = path.join(tmp, 'source');
  const { model } = buildBackbone('tinyCnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  await saveModel(model, sourceDir);
  model.dispose();
});
afterAll(async () => {
  delete process.env.FT_WEBGPU_SOFTWARE;
  await fs.rm(tmp, { recursive: true, force: true });
});

const run = async (argv: string[]) => {
  const c = capture();
  const code = await runCli(argv, { commands: builtinCommands, io: c.io });
  return { code, out: c.out(), err: c.err() };
};
const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

describe('ft on ft-webgpu (software adapter)', () => {
  it('ft info --backend ft-webgpu reports the adapter, its driver and the Dawn version', async (t) => {
    if (!available) return t.skip();
    const r = await run(['info', '--backend', 'ft-webgpu', '--json']);
    expect(r.code, r.err).toBe(0);
    const info = last(r.out);
    expect(info).toMatchObject({ backend: 'ft-webgpu', package: '@ft/tfjs-backend-webgpu', gpu: false });
    expect(info.adapter.software).toBe(true);
    expect(info.adapter.dawnBackend).toBe('opengl');
    expect(typeof info.adapter.driver).toBe('string');
    expect(info.versions['tfjs-backend-webgpu']).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.details.dawn).toMatch(/^\d+\.\d+\.\d+/);
    // The CLI released the device after the command: the backend is gone, cpu is what remains.
    expect(tf.findBackend('ft-webgpu')).toBeNull();
  });

  it('ft finetune --method full trains on ft-webgpu and matches the cpu run from the same seed', async (t) => {
    if (!available) return t.skip();
    const argv = (backend: string) => [
      'finetune',
      '--dataset',
      data,
      '--method',
      'full',
      '--source',
      sourceDir,
      '--labels-per-class',
      '0',
      '--epochs',
      '2',
      '--min-steps',
      '6',
      '--max-steps',
      '6',
      '--batch-size',
      '4',
      '--seed',
      '5',
      '--backend',
      backend,
      '--json',
    ];
    const cpu = await run(argv('cpu'));
    expect(cpu.code, cpu.err).toBe(0);
    const gpu = await run(argv('ft-webgpu'));
    expect(gpu.code, gpu.err).toBe(0);
    const a = last(cpu.out);
    const b = last(gpu.out);
    expect(b.backend).toBe('ft-webgpu');
    expect(b.steps).toBe(a.steps);
    expect(b.steps).toBeGreaterThanOrEqual(6);
    const losses = (err: string) => [...err.matchAll(/epoch \d+\/\d+: loss (\d+\.\d{4})/g)].map((m) => Number(m[1]));
    const la = losses(cpu.err);
    const lb = losses(gpu.err);
    expect(la.length).toBe(2); // 6 steps of 3 batches per epoch
    expect(lb.length).toBe(la.length);
    for (let i = 0; i < la.length; i++) expect(Math.abs(lb[i] - la[i])).toBeLessThanOrEqual(2e-4);
    expect(b.testAccuracy).toBe(a.testAccuracy);
  });
});
