export { kafka } from './kafka.js';
export type { KafkaSourceOptions, SeekTarget } from './options.js';
export { resetOffsets } from './resetOffsets.js';
export type { ResetOffsetsOptions } from './resetOffsets.js';
export { OffsetTracker } from '@rxq/core';
export { KafkaDelivery } from './partition.js';
export { kafkajsDriver } from './kafkajsDriver.js';
export type {
  KafkaDriver,
  KafkaDriverFactory,
  DriverHandlers,
  DriverConsumerOptions,
  BatchControl,
  KafkaRecord,
  HeaderValue,
  OutgoingRecord,
  TopicPartition,
  PartitionOffset,
} from './driver.js';
