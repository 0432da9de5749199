import { describe, expect, it } from 'vitest';
import { parseFlags } from './flags.mjs';

describe('parseFlags', () => {
  it('parses --key value and --key=value; a bare flag is true', () => {
    expect(parseFlags(['--threads', '1,2', '--quick', '--batch=64', '--lr', '-0.5', '--last'])).toEqual({
      threads: '1,2',
      quick: true,
      batch: '64',
      lr: '-0.5',
      last: true,
    });
    expect(parseFlags(['--empty='])).toEqual({ empty: '' });
  });

  it('refuses a stray argument instead of ignoring it', () => {
    expect(() => parseFlags(['stray'])).toThrow(/unexpected argument stray/);
    expect(() => parseFlags(['--a', '1', '2'])).toThrow(/unexpected argument 2/);
  });
});
