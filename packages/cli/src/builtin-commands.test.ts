import { describe, expect, it } from 'vitest';
import { builtinCommands } from './builtin-commands.js';
import { runCli } from './run-cli.js';
import { capture } from './test-helpers.js';

const fullName = (c: { group?: string; name: string }) => (c.group ? `${c.group} ${c.name}` : c.name);

describe('builtinCommands', () => {
  it('are info, data inspect, pretrain, finetune and eval, each described', () => {
    expect(builtinCommands.map(fullName)).toEqual(['info', 'data inspect', 'pretrain', 'finetune', 'eval']);
    for (const c of builtinCommands) {
      expect(c.description.length, fullName(c)).toBeGreaterThan(10);
      expect(typeof c.run).toBe('function');
      for (const [name, o] of Object.entries(c.options ?? {}))
        expect(o.description, `${fullName(c)} --${name}`).toBeTruthy();
    }
  });

  it('ft --help lists every one with its description', async () => {
    const c = capture();
    expect(await runCli(['--help'], { commands: builtinCommands, io: c.io })).toBe(0);
    for (const cmd of builtinCommands) {
      expect(c.out()).toContain(fullName(cmd));
      expect(c.out()).toContain(cmd.description);
    }
  });

  it('every option default satisfies its own constraints (choices, integer, min)', () => {
    for (const c of builtinCommands) {
      for (const [name, o] of Object.entries(c.options ?? {})) {
        const d = o.default;
        if (d === undefined) continue;
        const where = `${fullName(c)} --${name}`;
        if (o.choices) expect(o.choices, where).toContain(d);
        if (o.type === 'number') {
          expect(typeof d, where).toBe('number');
          if (o.integer) expect(Number.isInteger(d), where).toBe(true);
          if (o.min !== undefined) expect(d as number, where).toBeGreaterThanOrEqual(o.min);
          if (o.exclusiveMin !== undefined) expect(d as number, where).toBeGreaterThan(o.exclusiveMin);
        }
      }
    }
  });
});
