export {
  type AggregateOptions,
  type AggregateRow,
  aggregate,
  type GroupField,
} from './aggregate.js';
export { formatMachineInfo, type MachineInfo, machineInfo } from './machine-info.js';
export {
  type Align,
  type FormatMeanStdOptions,
  formatMeanStd,
  type MarkdownTableOptions,
  markdownTable,
  type TableColumn,
} from './markdown.js';
export { formatPairedGain, type PairedGain, pairedGain, type SeededValue } from './paired.js';
export {
  type Bar,
  type BarChartOptions,
  barChartSvg,
  type LineChartOptions,
  type LinePoint,
  type LineSeries,
  lineChartSvg,
  renderVegaLiteSvg,
  writeSvg,
} from './plots.js';
export {
  parseResults,
  type ResultBackend,
  type ResultRecord,
  type ResultRecordInput,
  readResults,
  resultRecord,
  serializeResultRecord,
  validateResultRecord,
  type WriteResultsOptions,
  writeResults,
} from './result-record.js';
export {
  type PageImage,
  type PageSection,
  RESULTS_PAGE_HEADERS,
  type ResultsPageOptions,
  resultsPage,
  type Verdict,
} from './results-page.js';
