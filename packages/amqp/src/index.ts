export { amqp } from './amqp.js';
export type { AmqpConnector } from './amqp.js';
export type {
  AmqpOptions,
  AmqpExchangeOptions,
  AmqpQueueType,
  AmqpConnection,
  AmqpConnectionOption,
} from './options.js';
export type { AmqpDelivery } from './delivery.js';
export { publish, publishAll } from './publish.js';
export type { PublishOptions } from './publish.js';
export { redactUrl } from './errors.js';
export { delayBucket } from './topology.js';
