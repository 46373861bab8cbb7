export { nats } from './nats.js';
export type { NatsConnector } from './nats.js';
export type { NatsOptions, NatsConnectionOption, NatsDeliverFrom } from './options.js';
export type { NatsDelivery, NatsTransport } from './delivery.js';
export { publish, publishMany } from './publish.js';
export type { PublishOptions } from './publish.js';
export { natsError } from './errors.js';
