import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractExamples, findZooDir, linkWorkspaceApp, runReadmeExamples } from './readme-examples.mjs';
import { listWorkspacePackages, publishablePackages, root } from './workspace.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-readme-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fence = (lang, body, ticks = '```') => `${ticks}${lang}\n${body}\n${ticks}`;

describe('extractExamples', () => {
  it('takes fenced ts/js/mjs/cjs blocks with their line, language and file kind; shell, JSON and bare blocks are not examples', () => {
    const md = [
      '# pkg', // 1
      fence('ts', 'const a: number = 1;'), // 2-4
      fence('sh', 'npm install x'), // 5-7
      fence('js', 'console.log(1);'), // 8-10
      fence('', 'plain text'), // 11-13
      fence('typescript title="x.ts"', 'let b = 2;'), // 14-16
      fence('cjs', "require('x');"), // 17-19
      fence('json', '{}'), // 20-22
      fence('mjs', 'export {};', '~~~'), // 23-25
      fence('bash', 'ls'), // 26-28
    ].join('\n');
    const ex = extractExamples(md);
    expect(ex.map((e) => [e.index, e.line, e.lang, e.ext])).toEqual([
      [1, 2, 'ts', 'mts'],
      [2, 8, 'js', 'mjs'],
      [3, 14, 'typescript', 'mts'],
      [4, 17, 'cjs', 'cjs'],
      [5, 23, 'mjs', 'mjs'],
    ]);
    expect(ex[0].code).toBe('const a: number = 1;\n');
    expect(ex.every((e) => e.skip === null && e.zoo === false)).toBe(true);
  });

  it('a longer fence holds shorter ones, and ~~~ does not close ```', () => {
    const md = [
      '````ts',
      'const s = `',
      '```js',
      'inner',
      '```',
      '`;',
      '````',
      '```js',
      'a();',
      '~~~',
      'b();',
      '```',
    ].join('\n');
    const ex = extractExamples(md);
    expect(ex).toHaveLength(2);
    expect(ex[0].code).toBe('const s = `\n```js\ninner\n```\n`;\n');
    expect(ex[1].code).toBe('a();\n~~~\nb();\n');
  });

  it('markers on the lines right above a fence: skip keeps its reason, zoo asks for the zoo folder', () => {
    const md = [
      '<!-- example: skip (needs a GPU) -->',
      fence('ts', 'gpu();'),
      '',
      '<!--example: zoo-->',
      fence('js', 'zoo();'),
      '<!-- example: zoo -->',
      '<!-- example: skip (downloads 2 GB) -->',
      fence('js', 'big();'),
    ].join('\n');
    const ex = extractExamples(md);
    expect(ex.map((e) => [e.skip, e.zoo])).toEqual([
      ['needs a GPU', false],
      [null, true],
      ['downloads 2 GB', true],
    ]);
  });

  it('a marker away from a fence, an unknown marker or a skip without a reason is an error, not a silent run', () => {
    expect(() => extractExamples(`<!-- example: skip (x) -->\n\n${fence('js', 'a();')}`)).toThrow(
      /right above a fence/,
    );
    expect(() => extractExamples(`<!-- example: skip (x) -->\ntext\n${fence('js', 'a();')}`)).toThrow(/right above/);
    expect(() => extractExamples(`<!-- example: skp (x) -->\n${fence('js', 'a();')}`)).toThrow(/unknown marker/);
    expect(() => extractExamples(`<!-- example: skip -->\n${fence('js', 'a();')}`)).toThrow(/unknown marker/);
    expect(() => extractExamples('text\n<!-- example: zoo -->')).toThrow(/end of the file/);
  });

  it('every README of the repository parses, each skip says why, and package READMEs link only to what npm can show', () => {
    const readmes = [
      path.join(root, 'README.md'),
      ...listWorkspacePackages().map((p) => path.join(p.dir, 'README.md')),
    ].filter((f) => fs.existsSync(f));
    expect(readmes.length).toBeGreaterThan(5);
    let examples = 0;
    for (const f of readmes) {
      const ex = extractExamples(fs.readFileSync(f, 'utf8'));
      examples += ex.length;
      for (const e of ex) if (e.skip !== null) expect(e.skip.length, `${f}:${e.line}`).toBeGreaterThan(5);
    }
    expect(examples).toBeGreaterThan(8);
    // On the npm registry page a relative link resolves against npmjs.com: only absolute URLs and anchors work.
    for (const p of publishablePackages()) {
      const md = fs.readFileSync(path.join(p.dir, 'README.md'), 'utf8');
      const relative = [...md.matchAll(/\]\(([^)]+)\)/g)]
        .map((m) => m[1])
        .filter((u) => !/^(https?:|#|mailto:)/.test(u));
      expect(relative, `${p.json.name} README: relative links`).toEqual([]);
    }
  });

  it('finds the zoo folder of the repository', () => {
    const zoo = findZooDir();
    expect(zoo).not.toBeNull();
    expect(fs.existsSync(path.join(zoo, 'manifest.json'))).toBe(true);
  });
});

// Runs against the built packages (dist/), as CI does after `turbo run build`.
const built = ['core', 'cli', 'report'].every((f) => fs.existsSync(path.join(root, 'packages', f, 'dist', 'index.js')));

describe.skipIf(!built)('runReadmeExamples (workspace builds linked into an app outside the workspace)', () => {
  const appDir = linkWorkspaceApp(path.join(tmp, 'app'), publishablePackages());
  const lines = [];
  const log = (l) => lines.push(l);

  it('a README with broken examples: type errors, throws and hangs fail, skips print their reason', async () => {
    const pkgDir = path.join(tmp, 'broken-pkg');
    fs.mkdirSync(pkgDir);
    const md = [
      '# @ft/broken',
      fence(
        'ts',
        "import { createRng } from '@ft/core';\nconst r: number = createRng(1).uniform();\nconsole.log('ts ok', r < 1);",
      ),
      fence('ts', "import { createRng } from '@ft/core';\nconst r: string = createRng(1).uniform();\nconsole.log(r);"),
      fence('js', "import { createRng } from '@ft/core';\ncreateRng(1).no_such_method();"),
      fence('js', "throw new Error('boom');"),
      '<!-- example: skip (writes to /dev/null forever) -->',
      fence('js', 'for (;;) {}'),
      fence('js', 'setInterval(() => {}, 1000);'),
      fence('cjs', "const { createRng } = require('@ft/core');\nconsole.log('cjs ok', typeof createRng(2).normal());"),
      '<!-- example: zoo -->',
      fence(
        'mjs',
        "import fs from 'node:fs';\nimport path from 'node:path';\nconsole.log('zoo', fs.existsSync(path.join(String(process.env.FT_ZOO_DIR), 'manifest.json')));",
      ),
      fence('js', "console.log('small', process.env.FT_EXAMPLE_SMALL);"),
    ].join('\n');
    fs.writeFileSync(path.join(pkgDir, 'README.md'), md);
    const r = await runReadmeExamples({ appDir, pkgDir, pkgName: '@ft/broken', timeoutMs: 3000, log });
    const status = r.results.map((x) => [x.index, x.status, x.reason ?? null]);
    expect(status).toEqual([
      [1, 'pass', null],
      [2, 'fail', 'type errors'],
      [3, 'fail', 'type errors'], // checkJs: a JS example type-checks too
      [4, 'fail', 'exit 1'],
      [5, 'skip', 'writes to /dev/null forever'],
      [6, 'fail', 'timed out after 3 s'],
      [7, 'pass', null],
      [8, 'pass', null],
      [9, 'pass', null],
    ]);
    expect(r).toMatchObject({ passed: 4, failed: 4, skipped: 1 });
    expect(r.results[1].output).toMatch(/TS2322: Type 'number' is not assignable to type 'string'/);
    expect(r.results[2].output).toMatch(/no_such_method/);
    expect(r.results[3].output).toMatch(/Error: boom/);
    expect(r.results[0].output).toBe('ts ok true\n');
    expect(r.results[6].output).toBe('cjs ok number\n');
    expect(r.results[7].output).toBe('zoo true\n');
    expect(r.results[8].output).toBe('small 1\n');
    expect(lines).toContain('skip @ft/broken README example 5 (js, README.md:20): writes to /dev/null forever');
    expect(lines.at(-1)).toBe('@ft/broken: 4 passed, 4 failed, 1 skipped');
    // each block is a file in the app, so a failure can be rerun by hand
    expect(fs.existsSync(path.join(appDir, 'readme-ft-broken', 'example-2.mts'))).toBe(true);
  }, 30_000);

  it.each(['cli', 'report'])(
    'the @ft/%s README examples pass',
    async (folder) => {
      const pkgDir = path.join(root, 'packages', folder);
      const r = await runReadmeExamples({ appDir, pkgDir, log, env: { FT_BACKEND: 'cpu' } });
      const failures = r.results.filter((x) => x.status === 'fail').map((x) => `example ${x.index}: ${x.output}`);
      expect(failures).toEqual([]);
      expect(r.passed).toBeGreaterThan(0);
    },
    60_000,
  );
});
