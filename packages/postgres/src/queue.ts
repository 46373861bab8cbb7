import { rejectUnknownOptions, type Codec, type Connector } from '@rxq/core';
import type { PgDelivery } from './delivery.js';
import { Jobs } from './jobs.js';
import { Opener, sessionId } from './opener.js';
import { nonEmpty } from '@rxq/core/kit';
import { COMMON_KEYS, commonSettings, type CommonOptions } from './options.js';
import { QueueSession, type QueueSettings } from './queueSession.js';
import { channelOf, DEFAULT_SCHEMA, quoteSchema, syncCommit } from './sql.js';

/** Options of {@link pgQueue}. */
export type PgQueueOptions = CommonOptions;

/**
 * A work queue in PostgreSQL as an rxq source: `fromQueue(pgQueue('emails', { connection }))`.
 * Competing consumers (any number of processes) each claim up to their credit in one statement
 * (`FOR UPDATE SKIP LOCKED`), wake on `LISTEN/NOTIFY` when a publish commits and poll every
 * `pollMs` as a fallback. A claimed message is leased for `leaseMs`, renewed while its handler
 * runs; a consumer that dies stops renewing, and its messages come back with attempt + 1. Acks are
 * batched (one `DELETE` per event-loop turn); nack puts the message back at once with attempt + 1;
 * resend updates the row with the new attempt and a later `run_at`; dead letters move to
 * `dead_letters` with the reason and error; release (unsubscribe) puts messages back without
 * counting an attempt. Publish with {@link publish} in the app's own transaction.
 *
 * @example
 * fromQueue(pgQueue('emails', { connection: pool }), { maxInFlight: 256 })
 *   .pipe(handle(send, { concurrency: 32 }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function pgQueue<T = unknown>(
  queue: string,
  options: PgQueueOptions & { readonly codec?: Codec<T> } = {},
): Connector<PgDelivery, T> {
  rejectUnknownOptions(options, COMMON_KEYS);
  nonEmpty('queue', queue);
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema('schema', schema);
  const common = commonSettings(options);
  const settings: QueueSettings = {
    queue,
    schema,
    channel: channelOf(schema),
    pollMs: common.pollMs,
    leaseMs: common.leaseMs,
    jobs: new Jobs(s, syncCommit(common.synchronousCommit)),
    maxAckBatch: common.maxAckBatch,
  };
  const opener = new Opener(options, queue, schema, settings.channel, common.migrate, common.maxConnections);
  const connector: Connector<PgDelivery, T> = {
    name: queue,
    async open(context) {
      const { pool, listener, pools } = await opener.open(context);
      return new QueueSession(pool, listener, pools, context, settings, sessionId(common.consumerName));
    },
  };
  if (options.codec !== undefined) (connector as { defaultCodec?: Codec<T> }).defaultCodec = options.codec;
  return connector;
}
