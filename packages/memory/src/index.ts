export { MemoryQueue } from './memoryQueue.js';
export type { PullOptions, PushOptions } from './memoryQueue.js';
export { Timeout } from './timeout.js';
export { memory } from './memory.js';
export type { MemoryConnector, MemorySourceOptions, MemoryDelivery, DeadLetter } from './memory.js';
