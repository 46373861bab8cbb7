export { traced, SCOPE } from './traced.js';
export type { TracedOptions } from './traced.js';
export { injectTraceContext, extractTraceContext } from './propagation.js';
export { systemOf } from './attributes.js';
