/**
 * Helpers shared by the cli tests (the unit tests under `src/` and the hostile suites under `test/hostile/`): captured
 * io for in-process runCli calls, tiny PNG folder datasets, the built executable, and helpers to classify runCli
 * calls. Test-only: not exported from the package's index, so tsup (which bundles from `src/index.ts`) never ships it.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

/** Captured stdout / stderr for in-process runCli calls. */
export function capture() {
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

/** A minimal 8-bit greyscale PNG encoder. */
export function png(w: number, h: number, pixel: (x: number, y: number) => number): Buffer {
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
  ihdr[8] = 8;
  ihdr[9] = 0;
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = pixel(x, y);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes `folder:<root>` with train/ and test/ splits of two classes (bright left vs right), `n` images each. */
export async function writeFolderDataset(root: string, side: number, n: number): Promise<string> {
  for (const split of ['train', 'test']) {
    for (const [cls, left] of [
      ['a', true],
      ['b', false],
    ] as const) {
      const dir = path.join(root, split, cls);
      await fs.mkdir(dir, { recursive: true });
      for (let i = 0; i < n; i++) {
        await fs.writeFile(
          path.join(dir, `${i}.png`),
          png(side, side, (x, y) => (x < side / 2 === left ? 200 : 30) + ((x * 7 + y * 3 + i * 11) % 40)),
        );
      }
    }
  }
  return `folder:${root}`;
}

/** The built `ft` executable the child-process cases spawn. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Fails with a clear message when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: build the CLI first (npx -y pnpm@10 run build)`);
  }
}

/** The `[CODE]` of runCli's `ft: error [CODE]: …` (or `[INTERRUPTED]`) line, if any. */
export function errorCode(stderr: string): string | undefined {
  return stderr.match(/\[([A-Z][A-Z_]+)\]/)?.[1];
}

/**
 * Turns a finished in-process runCli call into what `runHostileCase` classifies: returns on exit 0, otherwise throws
 * an Error carrying the `[CODE]` parsed from stderr (untyped when there is none, e.g. `ft: unexpected error`).
 */
export function throwIfFailed(exitCode: number, stderr: string): { exitCode: number } {
  if (exitCode === 0) return { exitCode };
  const line = stderr.trim().split('\n').pop() ?? '';
  const code = errorCode(line);
  throw Object.assign(new Error(`exit ${exitCode}: ${line}`), code ? { code, exitCode } : { exitCode });
}
