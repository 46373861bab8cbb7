// A consumer of a PostgreSQL work queue, ready for production: SKIP LOCKED claims, leases that a
// dead consumer gives back, NOTIFY wake-ups, typed and validated bodies, resends with backoff,
// dead letters, and a graceful stop on SIGTERM.
//   QUEUE=orders DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node examples/postgres.mjs
import { ack, exponential, fromQueue, handle, retryWithResend, schemaCodec, shutdownSignal } from '@rxq/core';
import { migrate, pgQueue } from '@rxq/postgres';
import pg from 'pg';
import { charge, Order, report } from './orders.mjs';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
const schema = process.env.PG_SCHEMA ?? 'rxq';
await migrate({ connection: pool, schema }); // idempotent; safe from every process at start

const source = fromQueue(pgQueue(process.env.QUEUE ?? 'orders', { connection: pool, schema }), {
  codec: schemaCodec(Order),
  maxInFlight: 256,
  stop: shutdownSignal(),
  drainTimeoutMs: 10_000,
});

source
  .pipe(
    handle((msg, { signal }) => charge(msg.body, signal), { concurrency: 32, timeoutMs: 10_000 }),
    retryWithResend({ maxAttempts: 5, backoff: exponential({ initialMs: 200, maxMs: 30_000 }) }),
    ack(),
  )
  .subscribe({ ...report, complete: () => void pool.end().then(report.complete) });
