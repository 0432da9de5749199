#!/usr/bin/env node
// Scaffolds a method package: `node scripts/new-method.mjs <name> --summary "…" --paper "Authors, venue, arXiv id"`.
// It writes packages/<name>/ (package.json with the "ft" registry field, build, tests, README, a `commands` export and
// a smoke call), benchmarks/<name>/run.mjs, the benchmarks' dependency on it, and a changeset. Nothing else lists
// method packages: the CLI, the smoke test and the README table discover it. Then run `npx -y pnpm@10 install`.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { expectedMetadata } from './package-metadata.mjs';
import { root as defaultRoot } from './workspace.mjs';

/** Files of a new method package, relative to the repository root. */
export function methodFiles(name, { summary, paper }) {
  const pkg = `@ft/${name}`;
  const camel = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  return {
    [`packages/${name}/tsconfig.json`]: `{\n  "extends": "../../tsconfig.base.json",\n  "include": ["src", "test", "*.ts"]\n}\n`,
    [`packages/${name}/tsup.config.ts`]:
      "import { defineConfig } from 'tsup';\nimport { packageBuild } from '../../tsup.shared';\n\nexport default defineConfig(packageBuild);\n",
    [`packages/${name}/vitest.config.ts`]: `import { defineProject, mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared';

export default mergeConfig(
  shared,
  defineProject({ test: { name: '${name}', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } }),
);
`,
    [`packages/${name}/README.md`]: `# ${pkg}

${summary}

Paper: ${paper}.

## Install

\`\`\`sh
npm install ${pkg} @ft/core @tensorflow/tfjs-core @tensorflow/tfjs-layers
\`\`\`

## Example

\`\`\`ts
import { ${camel}Version } from '${pkg}';
console.log(${camel}Version());
\`\`\`
`,
    [`packages/${name}/src/index.ts`]: `// Public API of ${pkg}: named exports only, grouped by concern.

// CLI commands (mounted by \`ft\` through the "ft" field of package.json).
export { commands } from './commands.js';
// Method.
export { ${camel}Version } from './${name}.js';
`,
    [`packages/${name}/src/${name}.ts`]: `/**
 * ${summary}
 *
 * Paper: ${paper}. Replace this placeholder with the method; keep one concept per file.
 */

/** The package's API version (replace with the method's entry points). */
export function ${camel}Version(): string {
  return '0';
}
`,
    [`packages/${name}/src/${name}.test.ts`]: `import { describe, expect, it } from 'vitest';
import { ${camel}Version } from './${name}.js';

describe('${name}', () => {
  it('reports its API version', () => {
    expect(${camel}Version()).toBe('0');
  });
});
`,
    [`packages/${name}/src/commands.ts`]: `import { type CommandSpec, defineCommand } from '@ft/core';
import { ${camel}Version } from './${name}.js';

/** Commands of ${pkg}, mounted by the \`ft\` CLI as \`ft ${name} <name>\`. */
export const commands: CommandSpec[] = [
  defineCommand({
    group: '${name}',
    name: 'version',
    description: 'Print the ${pkg} API version',
    needsBackend: false,
    async run() {
      return { version: ${camel}Version() };
    },
  }),
];
`,
    [`packages/${name}/test/smoke.mjs`]: `// Pack-and-install smoke call for ${pkg}, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['${pkg}', '${camel}Version, commands']];
export const body = \`if (!commands.some((c) => c.group === '${name}')) throw new Error('no ${name} commands');
console.log('${name} ok', ${camel}Version());\`;
`,
    [`benchmarks/${name}/run.mjs`]: `#!/usr/bin/env node
// Reproduction of ${paper}: writes docs/results/${name}.md. Public APIs only.
import { ${camel}Version } from '${pkg}';

console.log('${name} benchmark: not written yet (API version', ${camel}Version(), ')');
`,
    [`.changeset/${name}-initial.md`]: `---\n'${pkg}': minor\n---\n\nFirst release of ${pkg}: ${summary}\n`,
  };
}

/** package.json of a new method package, in the shape the existing method packages share. */
export function methodPackageJson(name, { summary, paper }, template) {
  const pick = (k) => (template[k] === undefined ? {} : { [k]: structuredClone(template[k]) });
  return {
    name: `@ft/${name}`,
    version: '0.0.0',
    description: summary,
    ...pick('license'),
    ...pick('type'),
    ...pick('sideEffects'),
    ...pick('files'),
    ...pick('main'),
    ...pick('module'),
    ...pick('types'),
    ...pick('exports'),
    ...pick('engines'),
    ...pick('scripts'),
    ...pick('peerDependencies'),
    ...pick('peerDependenciesMeta'),
    devDependencies: Object.fromEntries(
      Object.entries(template.devDependencies ?? {}).filter(([k]) => k.startsWith('@tensorflow/') || k === '@ft/core'),
    ),
    ...pick('publishConfig'),
    // `results` is added once docs/results/<name>.md exists (the registry test checks the page is there).
    ft: { kind: 'method', commands: true, summary, paper },
  };
}

/** Writes the package into `root`; refuses an invalid or taken name. Returns the files written. */
export function createMethodPackage(root, name, opts, templateFolder = 'adv-finetune') {
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(name)) throw new Error(`package name must be kebab-case: ${name}`);
  if (!opts.summary || !opts.paper) throw new Error('--summary and --paper are required');
  const dir = path.join(root, 'packages', name);
  if (fs.existsSync(dir)) throw new Error(`packages/${name} already exists`);
  const template = JSON.parse(fs.readFileSync(path.join(root, 'packages', templateFolder, 'package.json'), 'utf8'));
  const files = methodFiles(name, opts);
  const json = methodPackageJson(name, opts, template);
  json.keywords = ['fine-tuning', 'transfer-learning', ...name.split('-')];
  const rootJsonFile = path.join(root, 'package.json');
  if (fs.existsSync(rootJsonFile)) {
    const rootJson = JSON.parse(fs.readFileSync(rootJsonFile, 'utf8'));
    Object.assign(json, expectedMetadata({ folder: name, json }, rootJson));
  }
  files[`packages/${name}/package.json`] = `${JSON.stringify(json, null, 2)}\n`;
  const license = path.join(root, 'LICENSE');
  if (fs.existsSync(license)) files[`packages/${name}/LICENSE`] = fs.readFileSync(license, 'utf8');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  const benchJson = path.join(root, 'benchmarks', 'package.json');
  const bench = JSON.parse(fs.readFileSync(benchJson, 'utf8'));
  bench.dependencies = Object.fromEntries(
    Object.entries({ ...bench.dependencies, [`@ft/${name}`]: 'workspace:^' }).sort(([a], [b]) => a.localeCompare(b)),
  );
  fs.writeFileSync(benchJson, `${JSON.stringify(bench, null, 2)}\n`);
  return [...Object.keys(files), 'benchmarks/package.json'];
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { summary: { type: 'string' }, paper: { type: 'string' }, root: { type: 'string' } },
  });
  if (positionals.length !== 1) {
    console.error('usage: node scripts/new-method.mjs <name> --summary "…" --paper "Authors, venue, arXiv id"');
    process.exit(2);
  }
  try {
    const written = createMethodPackage(values.root ?? defaultRoot, positionals[0], values);
    for (const f of written) console.log(`wrote ${f}`);
    console.log(
      'next: npx -y pnpm@10 install && npx -y pnpm@10 run build && npx vitest run --project ' + positionals[0],
    );
  } catch (e) {
    console.error(`new-method: ${e.message}`);
    process.exit(2);
  }
}
