// The connector author's kit: `@rxq/core/kit`. What every connector needs beside its broker's
// client, in one place, so that a connector holds only what its broker makes different.
export { rejectUnknownOptions } from '../options.js';
export {
  positiveInt,
  nonNegative,
  fn,
  opt,
  duration,
  nonEmpty,
  bool,
  numberIn,
  oneOf,
  codecOption,
} from './validate.js';
export { batcher, BatchWriter } from './batcher.js';
export type { Batcher, BatcherOptions, BatchBuffer, BatchMode, BatchWriterOptions } from './batcher.js';
export { PullBuffer } from './pullBuffer.js';
export { Wakeup, wakeOrTimeout, within } from './wake.js';
export { serial } from './serial.js';
export type { Serial } from './serial.js';
export { Fifo } from './fifo.js';
export { OffsetTracker } from './offsetTracker.js';
export { InFlightCount } from './inFlightCount.js';
