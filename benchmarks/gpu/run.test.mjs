import { webgpuInfo } from '@ft/tfjs-backend-webgpu';
import { describe, expect, it } from 'vitest';
import { ABLATION_GROUPS, H200_BASELINE, render } from './run.mjs';

const host = { cpus: 16, cpuModel: 'Test CPU', node: 'v20' };
const adapter = (software) => ({
  vendor: software ? '' : 'nvidia',
  architecture: '',
  device: software ? 'llvmpipe-llvm-15' : 'nvidia-h200',
  description: software ? 'OpenGL 4.5 Mesa' : 'NVIDIA 580.159',
  backend: software ? 'opengl' : 'default',
  software,
});
const probe = (software) => ({
  probe: true,
  info: { adapter: adapter(software), dawn: '0.6.2', tfjsWebgpu: '4.22.0' },
});
const cell = (model, batch, v, software = false) => ({
  model,
  batch,
  results: {
    'webgpu-stock': { train: { imgPerSec: v.stock }, infer: { imgPerSec: 1 }, software },
    'ft-webgpu': { train: { imgPerSec: v.ft }, infer: { imgPerSec: 2 }, software },
    'ft-native': { train: { imgPerSec: v.native }, infer: { imgPerSec: 3 } },
    'torch-cuda': v.torch ? { train: { imgPerSec: v.torch }, infer: { imgPerSec: 4 } } : { unavailable: 'no CUDA' },
  },
});

describe('gpu results page', () => {
  it('without a GPU: inconclusive, the H200 baseline, and the ft-webgpu column awaiting a GPU run', async () => {
    const page = await render(
      {
        date: '2026-12-05',
        host,
        probe: { unavailable: 'no WebGPU adapter: x' },
        cells: [],
        noGpu: 'no WebGPU adapter: x',
      },
      null,
    );
    expect(page).toContain('**Inconclusive.**');
    expect(page).toContain('awaits a GPU run');
    expect(page).toContain('| ResNet-20 | training | 512 | 225 | awaits a GPU run | 2,329 | 42,530 |');
    expect(H200_BASELINE.rows).toHaveLength(4);
  });

  it('on a software adapter: says so and shows none of its timings', async () => {
    const run = {
      date: 'd',
      host,
      probe: probe(true),
      cells: [cell('resnet20', 512, { stock: 12345, ft: 23456, native: 34567 }, true)],
    };
    const page = await render(run, null);
    expect(page).toContain('**Inconclusive.**');
    expect(page).toMatch(/only a software adapter \(llvmpipe-llvm-15\): it reports no speed/);
    for (const n of ['12,345', '23,456', '34,567']) expect(page).not.toContain(n);
  });

  it('on a GPU: the targets decide the verdict, with ratios in the table', async () => {
    const hw = (ft) => ({
      date: 'd',
      host,
      probe: probe(false),
      cells: [cell('resnet20', 512, { stock: 225, ft, native: 2000, torch: 40000 })],
    });
    const met = await render(hw(2400), null);
    expect(met).toContain('**Reproduced.**');
    expect(met).toContain('| ResNet-20 | 512 | 225 | 2,400 | 2,000 | 40,000 | 10.67× | 1.20× | 0.06× |');
    expect(met).toContain('6.0 % of PyTorch CUDA');
    expect(await render(hw(1500), null)).toContain('**Not reproduced.**');
    const ablated = hw(2400);
    ablated.ablation = ABLATION_GROUPS.map((g, i) => ({ ...g, result: { train: { imgPerSec: 1200 + 100 * i } } }));
    const page = await render(ablated, null);
    expect(page).toContain('What each replacement is worth');
    expect(page).toContain('| filter gradient | Conv2DBackpropFilter | 1,300 | 0.54× |');
    // Every kernel ft-webgpu adds or replaces for speed is in one group (Cumsum/Cumprod are a correctness fix).
    const speed = Object.keys(webgpuInfo().kernels).filter((k) => !k.startsWith('Cum'));
    expect(ABLATION_GROUPS.flatMap((g) => g.kernels).sort()).toEqual(speed.sort());
    expect(await render(hw(2100), null)).toContain('**Partly reproduced.**');
  });
});
