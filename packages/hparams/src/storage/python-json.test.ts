import { execFileSync } from 'node:child_process';
import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { findPython } from '../../test/python.js';
import { dumpPythonJson, parsePythonJson, pyFloat, pythonFloatRepr } from './python-json.js';

describe('pythonFloatRepr', () => {
  it('matches repr(float) of Python on fixed values', () => {
    const cases: [number, string][] = [
      [6, '6.0'],
      [0, '0.0'],
      [-0, '-0.0'],
      [0.1, '0.1'],
      [1.5, '1.5'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.234e-7, '1.234e-07'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [1.5e16, '1.5e+16'],
      [123456789.123, '123456789.123'],
      [-2.5e-300, '-2.5e-300'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [5e-324, '5e-324'],
      [6.015676677195506, '6.015676677195506'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
    ];
    for (const [x, s] of cases) expect(pythonFloatRepr(x)).toBe(s);
  });

  const py = findPython('json');
  it.skipIf(!py)('matches Python json.dumps on 3000 seeded random doubles', () => {
    const rng = createRng(7);
    const xs: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const e = Math.floor(rng.uniform() * 80) - 40;
      const x = (rng.uniform() - 0.5) * 10 ** e;
      xs.push(i % 10 === 0 ? Math.round(x) : x);
    }
    // Exact doubles travel as hex to Python, so both sides format the same value.
    const hex = xs.map((x) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(x);
      return b.toString('hex');
    });
    const out = execFileSync(
      py as string,
      [
        '-c',
        'import sys,json,struct\nfor h in sys.stdin.read().split():\n print(json.dumps(struct.unpack(">d", bytes.fromhex(h))[0]))',
      ],
      {
        input: hex.join('\n'),
      },
    )
      .toString()
      .trim()
      .split('\n');
    expect(out.length).toBe(xs.length);
    let mismatches = 0;
    xs.forEach((x, i) => {
      if (pythonFloatRepr(x) !== out[i]) mismatches++;
    });
    expect(mismatches).toBe(0);
  });
});

describe('dumpPythonJson / parsePythonJson', () => {
  it('writes what json.dumps writes (separators, ASCII escapes, floats, non-finite numbers)', () => {
    expect(
      dumpPythonJson({
        a: [1, pyFloat(2), 0.5, Number.NaN, Number.NEGATIVE_INFINITY],
        'é"\n': null,
        t: true,
        u: undefined,
      }),
    ).toBe('{"a": [1, 2.0, 0.5, NaN, -Infinity], "\\u00e9\\"\\n": null, "t": true}');
    expect(dumpPythonJson('😀\u0001')).toBe('"\\ud83d\\ude00\\u0001"');
  });

  it('reads NaN, Infinity and -Infinity, escapes and nesting; rejects garbage', () => {
    const v = parsePythonJson(
      '{"x": [NaN, Infinity, -Infinity, -1.5e+3, 0], "s": "\\u00e9\\ud83d\\ude00\\n", "__proto__": {"k": false}}',
    ) as {
      x: number[];
      s: string;
    };
    expect(Number.isNaN(v.x[0])).toBe(true);
    expect(v.x.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1500, 0]);
    expect(v.s).toBe('é😀\n');
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ k: false });
    for (const bad of ['{"a": 1', '[1,]', 'nan', '{"a" 1}', '1 2', '"x', ''])
      expect(() => parsePythonJson(bad)).toThrow(SyntaxError);
  });

  it('round-trips through dump and parse', () => {
    const v = { a: [1, 2.5, null, 'x', { b: [true, false] }], c: -3e-9 };
    expect(parsePythonJson(dumpPythonJson(v))).toEqual(v);
  });
});
