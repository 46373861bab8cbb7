// A consumer of a RabbitMQ queue, ready for production: at-least-once, bounded in flight,
// typed and validated bodies, resends with backoff, dead letters, and a graceful stop on SIGTERM.
//   QUEUE=orders AMQP_URL=amqp://guest:guest@127.0.0.1:5672 node examples/amqp.mjs
import { ack, exponential, fromQueue, handle, retryWithResend, schemaCodec, shutdownSignal } from '@rxq/core';
import { amqp } from '@rxq/amqp';
import { charge, Order, report } from './orders.mjs';

const source = fromQueue(
  amqp(process.env.QUEUE ?? 'orders', { connection: process.env.AMQP_URL ?? 'amqp://localhost' }),
  {
    codec: schemaCodec(Order),
    maxInFlight: 256,
    stop: shutdownSignal(), // SIGTERM/SIGINT: stop the intake, drain, settle, close
    drainTimeoutMs: 10_000,
  },
);

source
  .pipe(
    handle((msg, { signal }) => charge(msg.body, signal), { concurrency: 32, timeoutMs: 10_000 }),
    retryWithResend({ maxAttempts: 5, backoff: exponential({ initialMs: 200, maxMs: 30_000 }) }),
    ack(),
  )
  .subscribe(report);
