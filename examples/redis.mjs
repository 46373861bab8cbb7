// A consumer of a Redis reliable list, ready for production: at-least-once, bounded in flight,
// typed and validated bodies, resends with backoff, dead letters, and a graceful stop on SIGTERM.
//   QUEUE=orders REDIS_URL=redis://127.0.0.1:6379 node examples/redis.mjs
import { ack, exponential, fromQueue, handle, retryWithResend, schemaCodec, shutdownSignal } from '@rxq/core';
import { redis } from '@rxq/redis';
import { charge, Order, report } from './orders.mjs';

const source = fromQueue(
  redis(process.env.QUEUE ?? 'orders', { connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
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
