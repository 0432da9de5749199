/**
 * `ft completion bash|zsh`: scripts generated from the mounted commands. The bash script is checked with `bash -n`
 * and its completion function is run in bash on sample command lines; the zsh script with `zsh -n` where zsh exists.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandSpec, defineCommand } from '@ft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCommands } from './builtin-commands.js';
import { bashCompletion, zshCompletion } from './completion.js';
import { runCli } from './run-cli.js';
import { capture } from './test-helpers.js';

const fit = defineCommand({
  group: 'demo',
  name: 'fit',
  description: "Fit a demo model: it's [quick]",
  options: {
    mode: { type: 'string', description: 'Mode', choices: ['alpha', 'beta'], default: 'alpha' },
    steps: { type: 'number', description: 'Steps', default: 3, integer: true, min: 1 },
    out: { type: 'string', description: 'Output folder', output: 'dir' },
    data: { type: 'string', description: 'Input file', input: 'file' },
    quiet: { type: 'boolean', description: 'Less output', default: false },
  },
  needsBackend: false,
  run: async () => ({}),
});
const score = defineCommand({
  group: 'demo',
  name: 'score',
  description: 'Score',
  needsBackend: false,
  run: async () => ({}),
});
const commands: CommandSpec[] = [...builtinCommands, fit, score];

const work = mkdtempSync(join(tmpdir(), 'ft-completion-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function script(shell: string): Promise<string> {
  const c = capture();
  expect(await runCli(['completion', shell], { commands, io: c.io }), c.err()).toBe(0);
  return c.out();
}

/** Bash: source the script, set COMP_WORDS/COMP_CWORD from the arguments, call `_ft`, print COMPREPLY. */
const RUN_FT =
  String.raw`source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _ft; printf '%s\n' "$` +
  '{COMPREPLY[@]}"';

/** Runs the generated `_ft` in bash for the words of a command line (the last one being completed). */
function suggest(file: string, words: string[], cwd = work): string[] {
  const out = execFileSync('bash', ['-c', RUN_FT, '_', file, ...words], { encoding: 'utf8', cwd });
  return out.split('\n').filter(Boolean).sort();
}

describe('ft completion bash', () => {
  it('prints a script that bash parses (bash -n) and that holds every command, flag and choice', async () => {
    const text = await script('bash');
    const file = join(work, 'ft.bash');
    writeFileSync(file, text);
    const check = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(text).toContain('complete -F _ft ft');
    for (const c of commands) expect(text).toContain(`"${c.group ? `${c.group} ${c.name}` : c.name}")`);
    expect(text).toContain('flags="--mode --steps --out --data --quiet --seed --backend --json');
    expect(text).toContain('--mode) COMPREPLY=($(compgen -W "alpha beta" -- "$cur")); return ;;');
    expect(text).toContain('--method) COMPREPLY=($(compgen -W "linear-probe full scratch" -- "$cur")); return ;;');
  });

  it('its _ft function completes commands, group commands, flags, choices and paths', async () => {
    const file = join(work, 'ft-run.bash');
    writeFileSync(file, await script('bash'));
    mkdirSync(join(work, 'models'));
    writeFileSync(join(work, 'mfile.txt'), '');
    expect(suggest(file, ['ft', ''])).toEqual(
      expect.arrayContaining(['info', 'pretrain', 'finetune', 'eval', 'completion', 'data', 'demo']),
    );
    expect(suggest(file, ['ft', 'de'])).toEqual(['demo']);
    expect(suggest(file, ['ft', 'demo', ''])).toEqual(['fit', 'score']);
    expect(suggest(file, ['ft', 'demo', 'fit', '--mo'])).toEqual(['--mode']);
    expect(suggest(file, ['ft', 'demo', 'fit', '--mode', ''])).toEqual(['alpha', 'beta']);
    expect(suggest(file, ['ft', 'demo', 'fit', '--mode', 'b'])).toEqual(['beta']);
    expect(suggest(file, ['ft', 'demo', 'fit', '--steps', ''])).toEqual([]);
    expect(suggest(file, ['ft', 'demo', 'fit', '--out', 'm'])).toEqual(['models']);
    expect(suggest(file, ['ft', 'demo', 'fit', '--data', 'm'])).toEqual(['mfile.txt', 'models']);
    expect(suggest(file, ['ft', 'data', 'inspect', '--split', 't'])).toEqual(['test', 'train']);
    expect(suggest(file, ['ft', 'pretrain', '--ep'])).toEqual(['--epochs']);
    expect(suggest(file, ['ft', 'completion', ''])).toEqual(['bash', 'zsh']);
  });

  it('an unknown shell is a usage error (exit 2); --json gives { shell, script }', async () => {
    const c = capture();
    expect(await runCli(['completion', 'fish'], { commands, io: c.io })).toBe(2);
    expect(c.err()).toMatch(/\[USAGE\].*unknown shell "fish"; choose bash or zsh/);
    const j = capture();
    expect(await runCli(['completion', 'bash', '--json'], { commands, io: j.io })).toBe(0);
    const r = JSON.parse(j.out().trim().split('\n').pop() ?? '{}');
    expect(r.shell).toBe('bash');
    expect(r.script).toBe(await script('bash'));
  });
});

describe('names that are not shell-safe', () => {
  it('are left out of both scripts instead of being pasted into them', () => {
    const evil = defineCommand({
      group: 'demo',
      name: 'evil',
      description: 'x',
      options: { pick: { type: 'string', description: 'p', choices: ['ok', '$(touch pwned)', 'a b', '`id`'] } },
      needsBackend: false,
      run: async () => ({}),
    });
    for (const text of [bashCompletion([evil], {}), zshCompletion([evil], {})]) {
      expect(text).toMatch(/\bok\b/);
      expect(text).not.toContain('pwned');
      expect(text).not.toContain('`id`');
      expect(text).not.toContain('a b');
    }
  });
});

describe('ft completion zsh', () => {
  it('holds a #compdef header, every command with its description, and _arguments specs with choices and paths', async () => {
    const text = await script('zsh');
    expect(text.startsWith('#compdef ft\n')).toBe(true);
    expect(text).toContain("'fit:Fit a demo model: it’s [quick]'");
    expect(text).toContain("'--mode=[Mode]:mode:(alpha beta)'");
    expect(text).toContain("'--out=[Output folder]:out:_files -/'");
    expect(text).toContain("'--data=[Input file]:data:_files'");
    expect(text).toContain("'--quiet[Less output]'");
    expect(text).toContain("'pretrain')");
    expect(text).toContain("'data inspect')");
  });

  const hasZsh = spawnSync('zsh', ['--version']).status === 0;
  it.skipIf(!hasZsh)('zsh parses it (zsh -n)', async () => {
    const file = join(work, '_ft');
    writeFileSync(file, await script('zsh'));
    const check = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });
});
