export { traced, SCOPE } from './traced.js';
export type { TracedOptions } from './traced.js';
export { injectTraceContext, extractTraceContext } from './propagation.js';
export { systemOf } from './attributes.js';
export { instrumentMetrics } from './metrics.js';
export type { InstrumentMetricsOptions, RxqMetrics } from './metrics.js';
export type { ObservedSource, SourceEntry, Sources } from './sources.js';
