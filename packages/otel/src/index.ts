import { installInstrumentation } from './instrumentation.js';

export { traced, SCOPE } from './traced.js';
export type { TracedOptions } from './traced.js';
export { injectTraceContext, extractTraceContext } from './propagation.js';
export { systemOf } from './attributes.js';
export { instrumentMetrics } from './metrics.js';
export type { InstrumentMetricsOptions, RxqMetrics } from './metrics.js';
export type { ObservedSource, SourceEntry, Sources } from './sources.js';
export { health } from './health.js';
export type { Health, HealthOptions, HealthReport } from './health.js';
export { healthListener } from './healthListener.js';
export { stuckHandlers } from './stuck.js';
export type { StuckHandlers, StuckHandlersOptions } from './stuck.js';
export { tracedAck } from './tracedAck.js';
export type { TracedAckOptions } from './tracedAck.js';
export { tracedSend } from './tracedSend.js';
export { installInstrumentation } from './instrumentation.js';
export type { TracedSendOptions } from './tracedSend.js';
export type { InstallInstrumentationOptions } from './instrumentation.js';

// Importing the package plugs propagation and poison spans into every rxq connector.
installInstrumentation();
