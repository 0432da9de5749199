// Pack-and-install smoke call for @ft/zoo, run by scripts/smoke-pack.mjs under ESM and CJS: the installed package
// holds every file its manifest lists, with the recorded SHA-256, and SHA256SUMS agrees with the manifest.
export const imports = [
  ['@ft/zoo/manifest.json', 'manifest', { type: 'json' }],
  ['node:crypto', 'createHash'],
  ['node:fs', 'readFileSync'],
  ['node:module', 'createRequire'],
  ['node:path', 'dirname, join'],
];
export const body = `const dir = dirname(createRequire(join(process.cwd(), 'smoke.js')).resolve('@ft/zoo/package.json'));
if (manifest.version !== 1 || manifest.models.length < 2) throw new Error('manifest ' + JSON.stringify(manifest).slice(0, 80));
const sums = new Map(readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\\n').map((l) => l.split(/\\s+/).reverse()));
for (const e of manifest.models) {
  for (const k of ['modelJson', 'weights']) {
    const h = createHash('sha256').update(readFileSync(join(dir, e.files[k]))).digest('hex');
    if (h !== e.sha256[k]) throw new Error(e.files[k] + ': sha256 ' + h + ', manifest ' + e.sha256[k]);
    if (sums.get(e.files[k]) !== h) throw new Error(e.files[k] + ': SHA256SUMS has ' + sums.get(e.files[k]));
  }
}
console.log('zoo ok', manifest.models.map((e) => e.name).join(','));`;
