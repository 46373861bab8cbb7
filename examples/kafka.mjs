// A consumer of a Kafka topic in a consumer group, ready for production: per-message acks with
// contiguous commits, bounded in flight, per-key order, typed and validated bodies, resends with
// backoff, a dead-letter topic, and a graceful stop on SIGTERM.
//   TOPIC=orders GROUP=billing KAFKA_BROKERS=127.0.0.1:9092 node examples/kafka.mjs
import { ack, exponential, fromQueue, handle, retryWithResend, schemaCodec, shutdownSignal } from '@rxq/core';
import { kafka } from '@rxq/kafka';
import { charge, Order, report } from './orders.mjs';

const connector = kafka(process.env.TOPIC ?? 'orders', {
  groupId: process.env.GROUP ?? 'billing',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  fromBeginning: true, // a new group reads what is already there
  tombstones: 'skip', // this topic's consumers have nothing to delete
});

const source = fromQueue(connector, {
  codec: schemaCodec(Order),
  maxInFlight: 1024,
  stop: shutdownSignal(),
  drainTimeoutMs: 10_000,
});

source
  .pipe(
    // Orders of one customer key run one after another; other keys in parallel.
    handle((msg, { signal }) => charge(msg.body, signal), { concurrency: 64, key: (m) => m.key, timeoutMs: 10_000 }),
    retryWithResend({ maxAttempts: 5, backoff: exponential({ initialMs: 200, maxMs: 30_000 }) }),
    ack(),
  )
  .subscribe(report);
