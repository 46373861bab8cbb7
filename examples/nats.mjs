// A consumer of a NATS JetStream stream through a durable pull consumer, ready for production:
// pulled by credit, the ack wait extended while a handler runs, typed and validated bodies,
// resends with backoff (nak with a delay), a dead-letter stream, and a graceful stop on SIGTERM.
//   STREAM=ORDERS NATS_URL=nats://127.0.0.1:4222 node examples/nats.mjs
import { ack, exponential, fromQueue, handle, retryWithResend, schemaCodec, shutdownSignal } from '@rxq/core';
import { nats } from '@rxq/nats';
import { charge, Order, report } from './orders.mjs';

const source = fromQueue(
  nats(process.env.STREAM ?? 'ORDERS', {
    connection: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    consumer: process.env.CONSUMER ?? 'billing',
  }),
  { codec: schemaCodec(Order), maxInFlight: 256, stop: shutdownSignal(), drainTimeoutMs: 10_000 },
);

source
  .pipe(
    handle((msg, { signal }) => charge(msg.body, signal), { concurrency: 32, timeoutMs: 10_000 }),
    retryWithResend({ maxAttempts: 5, backoff: exponential({ initialMs: 200, maxMs: 30_000 }) }),
    ack(),
  )
  .subscribe(report);
