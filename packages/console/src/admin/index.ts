export { openAdmin, SCHEMES } from './open.js';
export { REDRIVEN_AT } from './common.js';
export type {
  AdminCapabilities,
  AdminOptions,
  DeadLetter,
  DeadLetterFilter,
  DeadLetters,
  ListOptions,
  PartitionLag,
  PeekedMessage,
  PublishOptions,
  PurgeResult,
  QueueAdmin,
  QueueStats,
  ReadOptions,
  RedriveOptions,
  RedriveProgress,
  RedriveResult,
} from './types.js';
