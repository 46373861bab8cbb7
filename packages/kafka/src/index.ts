export { kafka } from './kafka.js';
export type { KafkaSourceOptions, SeekTarget, TombstonePolicy } from './options.js';
export type { KafkaConnectionOptions } from './connection.js';
export { resetOffsets } from './resetOffsets.js';
export type { ResetOffsetsOptions } from './resetOffsets.js';
export { publish, publishMany } from './publish.js';
export type { KafkaConnection, KafkaPublishOptions, KafkaRecordInput } from './publish.js';
export { kafkaError } from './errors.js';
export { kafkajsLogCreator } from './logging.js';
export { installCompressionCodecs } from './compression.js';
export { quietRequestQueue } from './requestQueue.js';
export { OffsetTracker } from '@rxq/core';
export { KafkaDelivery, kafkaTransport } from './partition.js';
export type { KafkaTransport, KafkaHeader } from './partition.js';
export { kafkajsDriver } from './kafkajsDriver.js';
export { platformaticDriver } from './platformaticDriver.js';
export type {
  KafkaDriver,
  KafkaDriverFactory,
  DriverConsumerOptions,
  DriverHandlers,
  BatchControl,
  KafkaRecord,
  HeaderValue,
  OutgoingRecord,
  TopicPartition,
  PartitionOffset,
} from './driver.js';
