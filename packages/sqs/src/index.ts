export { sqs } from './sqs.js';
export type { SqsConnector } from './sqs.js';
export type { SqsOptions } from './options.js';
export type { SqsDelivery, SqsTransport } from './delivery.js';
export { sendAll } from './publish.js';
export type { SendOptions } from './publish.js';
export { sqsError } from './errors.js';
