export { consumerReporter, REPORT_PATH } from './consumerReporter.js';
export type { ConsumerReporter, ConsumerReporterOptions, ReportedSource } from './consumerReporter.js';
export type { ConsumerReport, SourceReport } from './report.js';
export { LATENCY_BOUNDS_MS, quantile } from './histogram.js';
