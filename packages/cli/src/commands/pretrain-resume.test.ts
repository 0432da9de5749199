/** `ft pretrain --checkpoint-dir`: the run fingerprint refuses a resume with other settings unless --force-resume. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from '../builtin-commands.js';
import { runCli } from '../run-cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const mk = (buf: string[]) =>
    new Writable({
      write(chunk, _enc, cb) {
        buf.push(String(chunk));
        cb();
      },
    });
  return { io: { stdout: mk(out), stderr: mk(err) }, out: () => out.join(''), err: () => err.join('') };
}

/** A minimal 8-bit greyscale PNG encoder (signature, IHDR, one IDAT, IEND). */
function png(w: number, h: number, pixel: (x: number, y: number) => number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = pixel(x, y);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-pretrain-resume-'));
  // folder:<tmp>/data with train/ and test/ splits: class a is bright on the left, class b on the right
  for (const split of ['train', 'test']) {
    for (const [cls, left] of [
      ['a', true],
      ['b', false],
    ] as const) {
      const dir = path.join(tmp, 'data', split, cls);
      await fs.mkdir(dir, { recursive: true });
      for (let i = 0; i < 8; i++) {
        await fs.writeFile(
          path.join(dir, `${i}.png`),
          png(8, 8, (x, y) => (x < 4 === left ? 200 : 30) + ((x * 7 + y * 3 + i * 11) % 40)),
        );
      }
    }
  }
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('ft pretrain --checkpoint-dir', () => {
  const ckpt = () => path.join(tmp, 'ckpt');
  const args = (lr: string, extra: string[] = []) => [
    'pretrain',
    '--dataset',
    `folder:${path.join(tmp, 'data')}`,
    '--arch',
    'tinyCnn',
    '--epochs',
    '1',
    '--batch-size',
    '4',
    '--lr',
    lr,
    '--out',
    path.join(tmp, 'model'),
    '--checkpoint-dir',
    ckpt(),
    '--backend',
    'cpu',
    '--json',
    ...extra,
  ];

  it('resuming with another --lr exits non-zero with RESUME_MISMATCH naming lr; --force-resume proceeds', async () => {
    const c1 = capture();
    expect(await runCli(args('0.05'), { commands: builtinCommands, io: c1.io }), c1.err()).toBe(0);
    expect((await fs.readdir(ckpt())).some((n) => n.startsWith('ckpt-'))).toBe(true);

    const c2 = capture();
    expect(await runCli(args('0.1'), { commands: builtinCommands, io: c2.io })).not.toBe(0);
    expect(c2.out() + c2.err()).toMatch(/RESUME_MISMATCH/);
    expect(c2.out() + c2.err()).toMatch(/lr: 0\.05 → 0\.1/);
    expect(c2.out() + c2.err()).toMatch(/--force-resume/);

    const c3 = capture();
    expect(await runCli(args('0.1', ['--force-resume']), { commands: builtinCommands, io: c3.io }), c3.err()).toBe(0);
  }, 60_000);
});
