import { InvalidOptionError, type Codec, type Connector } from '@rxq/core';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { Connections, connectionName, DEFAULT_URL, translate, type RedisConnection } from './connection.js';
import { uniqueId } from './envelope.js';
import { XPROMOTE } from './streamScript.js';
import type { StreamDelivery } from './streamDelivery.js';
import { StreamSession, type StreamSettings } from './streamSession.js';
import { checkOptions, KNOWN } from './options.js';
import { codecOption, duration, nonEmpty } from '@rxq/core/kit';

/** Options of {@link redisStream}. `T` is the body type of the codec. */
export interface RedisStreamOptions<T = unknown> {
  /** The consumer group; created (with the stream, `MKSTREAM`) if missing. */
  readonly group: string;
  /** This consumer's name in the group; keep it stable within a process. @default `${hostname}-${pid}` */
  readonly consumer?: string;
  /**
   * A Redis URL (`redis://[[user]:password@]host:port[/db]`, `rediss://` for TLS) or an ioredis
   * client (5.x or 6.x), used as it is and never closed by rxq.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly connection?: RedisConnection;
  /**
   * Node's TLS options for a connection rxq makes from the URL (as `redis()`'s `tls`); an error
   * beside a client passed as `connection`.
   * @default none
   */
  readonly tls?: ConnectionOptions;
  /** How payloads are decoded; its body type is the messages' body type. @default json */
  readonly codec?: Codec<T>;
  /** The entry field that holds the payload; every other field becomes a header. @default 'body' */
  readonly bodyField?: string;
  /** Where a group created now starts: every entry already in the stream, or only new ones. @default 'beginning' */
  readonly start?: 'beginning' | 'new';
  /**
   * An entry pending (delivered, not acked) this long is taken for abandoned and claimed again
   * (`XAUTOCLAIM`) by a live consumer, with attempt + 1. Keep it above your longest handler time.
   * @default 30_000
   */
  readonly minIdleMs?: number;
  /** How long a receive blocks (`XREADGROUP BLOCK`) before it reports nothing. @default 1_000 */
  readonly blockMs?: number;
  /** The stream dead letters go to. @default `${stream}:dead` */
  readonly deadLetterKey?: string;
}

/**
 * A Redis stream read through a consumer group: at-least-once. Each receive reads up to the credit
 * (`XREADGROUP COUNT`); `ack` is `XACK`, batched (one call for every ack of an event-loop turn);
 * `nack` leaves the entry pending and makes it claimable at once; entries pending longer than
 * `minIdleMs` (a consumer that died) are claimed again with `XAUTOCLAIM`, and the delivery count
 * Redis keeps becomes `attempt`. Resend adds a copy with the attempt field (`XADD` + `XACK`, one
 * atomic script; after a delay through `<stream>:delayed`); dead letters go to `<stream>:dead`;
 * release (unsubscribe) re-adds the entry without counting an attempt. Producers write
 * `XADD stream * body <payload> [header value …]`.
 *
 * @example
 * fromQueue(redisStream('events', { group: 'billing' }))
 *   .pipe(handle(bill, { concurrency: 16 }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function redisStream<T = unknown>(stream: string, options: RedisStreamOptions<T>): Connector<StreamDelivery, T> {
  nonEmpty('stream', stream);
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionError('options', 'an object with `group`', options);
  checkOptions(options, KNOWN.redisStream);
  codecOption(options.codec, { encode: true });
  const start = options.start ?? 'beginning';
  if (start !== 'beginning' && start !== 'new') throw new InvalidOptionError('start', "'beginning' or 'new'", start);
  const settings: StreamSettings = {
    stream,
    group: nonEmpty('group', options.group),
    consumer: nonEmpty('consumer', options.consumer, `${hostname()}-${process.pid}`),
    bodyField: nonEmpty('bodyField', options.bodyField, 'body'),
    minIdleMs: duration('minIdleMs', options.minIdleMs, 30_000, 10),
    blockMs: duration('blockMs', options.blockMs, 1_000, 10),
    deadLetterKey: nonEmpty('deadLetterKey', options.deadLetterKey, `${stream}:dead`),
  };
  const connections = new Connections(options.connection ?? DEFAULT_URL, stream, options.tls);
  const connector: Connector<StreamDelivery, T> = {
    name: stream,
    async open(context) {
      const cmd = await connections.acquire(context.logger);
      try {
        const id = `${settings.consumer}-${uniqueId()}`;
        const blk = await connections.blocking(cmd, connectionName('rxq', stream, id));
        try {
          await cmd.xgroup('CREATE', stream, settings.group, start === 'new' ? '$' : '0', 'MKSTREAM');
        } catch (error) {
          if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) {
            blk.disconnect();
            throw error;
          }
        }
        await XPROMOTE.run(cmd, [`${stream}:delayed`, stream], [settings.bodyField]).catch(() => undefined);
        return new StreamSession(cmd, blk, context, connections, settings);
      } catch (error) {
        await connections.release();
        throw translate(error, 'opening the stream');
      }
    },
  };
  return options.codec === undefined ? connector : { ...connector, defaultCodec: options.codec };
}
