#!/usr/bin/env node
// Publishing metadata of every publishable package, from one source: the root package.json's `repository`,
// `homepage`, `bugs` and `license`, plus each package's folder. `node scripts/package-metadata.mjs` writes the fields;
// `--check` exits 1 when a package differs (the tools test runs the same check).
import fs from 'node:fs';
import path from 'node:path';
import { publishablePackages, root } from './workspace.mjs';

const BASE_KEYWORDS = ['tensorflow', 'tensorflowjs', 'tfjs', 'machine-learning'];

/** The metadata fields `pkg` should carry, derived from the root package.json. */
export function expectedMetadata(pkg, rootJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))) {
  const directory = `packages/${pkg.folder}`;
  const keywords = [...new Set([...BASE_KEYWORDS, ...(pkg.json.keywords ?? [])])];
  return {
    license: rootJson.license,
    repository: { ...rootJson.repository, directory },
    homepage: `${rootJson.homepage}/tree/main/${directory}#readme`,
    bugs: rootJson.bugs,
    keywords,
    engines: rootJson.engines,
  };
}

/** `[package name, field]` pairs that differ from {@link expectedMetadata}. */
export function metadataDiffs(pkgs = publishablePackages()) {
  const out = [];
  for (const p of pkgs) {
    const want = expectedMetadata(p);
    for (const [k, v] of Object.entries(want)) {
      if (JSON.stringify(p.json[k]) !== JSON.stringify(v)) out.push([p.json.name, k]);
    }
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const diffs = metadataDiffs();
  if (process.argv.includes('--check')) {
    for (const [name, field] of diffs)
      console.error(`${name}: ${field} differs; run node scripts/package-metadata.mjs`);
    process.exit(diffs.length ? 1 : 0);
  }
  for (const p of publishablePackages()) {
    const file = path.join(p.dir, 'package.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const want = expectedMetadata({ ...p, json });
    // keep key order stable: metadata after `description`
    const out = {};
    for (const [k, v] of Object.entries(json)) {
      out[k] = k in want ? want[k] : v;
      if (k === 'description') for (const [mk, mv] of Object.entries(want)) if (!(mk in json)) out[mk] = mv;
    }
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  }
  console.log(`metadata written (${diffs.length} fields changed)`);
}
