export { sqs } from './sqs.js';
export type { SqsConnector } from './sqs.js';
export type { SqsOptions } from './options.js';
export type { SqsDelivery, SqsTransport } from './delivery.js';
export { publish, publishMany } from './publish.js';
export type { PublishOptions } from './publish.js';
export { sqsError } from './errors.js';
