export { startDashboard } from './startDashboard.js';
export type { Dashboard } from './startDashboard.js';
export { dashboardCli } from './cli.js';
export type { CliIo } from './cli.js';
export type { DashboardOptions, QueueConfig } from './options.js';
export type {
  AdminDeadLetter,
  AdminFilter,
  AdminQueueStats,
  DashboardAdmin,
  OpenAdmin,
  OpenAdminOptions,
} from './admin.js';
export type { ConsumerView, DashboardState, QueueView, Rates, Series, SourceView } from './state.js';
export { consumerReporter, REPORT_PATH, LATENCY_BOUNDS_MS, quantile } from './reporter/index.js';
export type {
  ConsumerReport,
  ConsumerReporter,
  ConsumerReporterOptions,
  ReportedSource,
  SourceReport,
} from './reporter/index.js';
