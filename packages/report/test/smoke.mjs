// Pack-and-install smoke call for @ft/report, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['@ft/report', 'markdownTable, formatMeanStd, barChartSvg, resultsPage, machineInfo']];
export const body = `const table = markdownTable([{ arm: 'ft', acc: formatMeanStd([0.9, 0.92], 1, { scale: 100 }) }], ['arm', 'acc']);
if (!table.includes('91.0 ± 1.4')) throw new Error('table ' + table);
const svg = await barChartSvg({ title: 'smoke', bars: [{ group: 'a', name: 'ft', value: 0.9, err: 0.01 }] });
if (!svg.startsWith('<svg') || !svg.includes('smoke')) throw new Error('svg ' + svg.slice(0, 80));
const page = resultsPage({ title: 'Smoke', command: 'node smoke.mjs', backend: 'cpu', machine: machineInfo(), date: '2026-01-01', seeds: [0], claim: 'A claim.', verdict: 'reproduced', evidence: ['it ran'], sections: [{ title: 'Table', body: table }] });
if (!page.includes('## Verdict') || !page.includes(table)) throw new Error('page');
console.log('report ok', svg.length, page.split('\\n').length);`;
