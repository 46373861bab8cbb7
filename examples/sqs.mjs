// A consumer of an Amazon SQS queue, ready for production: long polls up to the credit, the
// visibility extended while a handler runs, batch deletes, typed and validated bodies, resends
// with backoff, a dead-letter queue, and a graceful stop on SIGTERM.
//   QUEUE=orders AWS_REGION=eu-west-1 node examples/sqs.mjs       (SQS_ENDPOINT for a local server)
import { ack, exponential, fromQueue, handle, retryWithResend, schemaCodec, shutdownSignal } from '@rxq/core';
import { sqs } from '@rxq/sqs';
import { charge, Order, report } from './orders.mjs';

const clientConfig = { region: process.env.AWS_REGION ?? 'eu-west-1' };
if (process.env.SQS_ENDPOINT) clientConfig.endpoint = process.env.SQS_ENDPOINT;

const source = fromQueue(sqs(process.env.QUEUE ?? 'orders', { clientConfig }), {
  codec: schemaCodec(Order),
  maxInFlight: 100,
  stop: shutdownSignal(),
  drainTimeoutMs: 10_000,
});

source
  .pipe(
    handle((msg, { signal }) => charge(msg.body, signal), { concurrency: 16, timeoutMs: 10_000 }),
    retryWithResend({ maxAttempts: 5, backoff: exponential({ initialMs: 200, maxMs: 30_000 }) }),
    ack(),
  )
  .subscribe(report);
