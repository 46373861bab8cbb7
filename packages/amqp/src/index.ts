export { amqp } from './amqp.js';
export type { AmqpConnector } from './amqp.js';
export type {
  AmqpOptions,
  AmqpConnectOptions,
  AmqpExchangeOptions,
  AmqpQueueType,
  AmqpConnection,
  AmqpConnectionOption,
} from './options.js';
export type { AmqpTlsOptions } from './tls.js';
export type { AmqpDelivery } from './delivery.js';
export type { AmqpTransport } from './transport.js';
export { fieldText, toAmqplibTable } from './fieldTable.js';
export type { AmqpFieldValue, AmqpNumberType, AmqpTable, AmqplibTable } from './fieldTable.js';
export { publish, publishMany, publishAll } from './publish.js';
export type { PublishOptions, PublishProperties } from './publish.js';
export { amqpError, redactUrl } from './errors.js';
export { delayBucket } from './topology.js';
