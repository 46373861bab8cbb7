export { MemoryQueue } from './memoryQueue.js';
export type { PullOptions } from './memoryQueue.js';
export { Timeout } from './timeout.js';
export { memory } from './memory.js';
export type { MemoryConnector, MemorySourceOptions, DeadLetter } from './memory.js';
