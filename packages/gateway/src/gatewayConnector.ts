import {
  identity,
  InvalidOptionError,
  opt,
  positiveInt,
  rejectUnknownOptions,
  resendHeaders,
  type Codec,
  type Connector,
  type Delivery,
  type Session,
} from '@rxq/core';
import { errorOf, LineClient } from './client.js';
import type { LeasedItem } from './dispatcher.js';

/** Options of {@link gateway}. */
export interface GatewayOptions<T = unknown> {
  /** The served queue to consume. @default the gateway's default queue */
  readonly queue?: string;
  /** The gateway's bearer token, when it has one. @default undefined */
  readonly token?: string;
  /** Longest wait of one `lease_many` on an empty queue before `receive` reports nothing. @default 200 */
  readonly pollMs?: number;
  /** How long each delivery stays leased before the gateway gives it back. @default the gateway's `leaseMs` */
  readonly leaseMs?: number;
  /** How values are decoded. @default identity (the JSON value as pushed) */
  readonly codec?: Codec<T>;
  /** The source's name in messages and metrics. @default the queue name, or 'gateway' */
  readonly name?: string;
  /** Give up a connection attempt after this long. @default 5_000 */
  readonly connectTimeoutMs?: number;
}

/** What a gateway delivery carries: its lease id. */
export interface GatewayDelivery extends Delivery {
  /** The lease id, settled by `ack`/`nack`/`release`/`dead_letter`. */
  readonly id: string;
}

const KNOWN = ['queue', 'token', 'pollMs', 'leaseMs', 'codec', 'name', 'connectTimeoutMs'] as const;

/**
 * A source that consumes from a running rxq gateway over TCP (`tcp://host:port`), with explicit
 * leases: at-least-once. `ack`, `nack` (requeue; resend with a delay and rxq's headers),
 * dead-letter (to the served queue's dead-letter destination) and release map to the gateway's
 * actions; a lost connection gives every unsettled delivery back to the queue.
 *
 * @example
 * fromQueue(gateway('tcp://127.0.0.1:3000', { queue: 'orders' })).pipe(handle(ship), ack()).subscribe();
 */
export function gateway<T = unknown>(url: string, options: GatewayOptions<T> = {}): Connector<GatewayDelivery, T> {
  rejectUnknownOptions(options, KNOWN);
  const { host, port } = parseUrl(url);
  const pollMs = opt(options.pollMs, 200, (v) => positiveInt('pollMs', v));
  const leaseMs = opt<number | undefined>(options.leaseMs, undefined, (v) => positiveInt('leaseMs', v));
  const connectTimeoutMs = opt(options.connectTimeoutMs, 5_000, (v) => positiveInt('connectTimeoutMs', v));
  const queue = options.queue;
  const name = options.name ?? queue ?? 'gateway';
  const kw: Record<string, unknown> = queue === undefined ? {} : { queue };
  const leaseKw: Record<string, unknown> = leaseMs === undefined ? kw : { ...kw, lease_ms: leaseMs };

  return {
    name,
    defaultCodec: options.codec ?? (identity as Codec<T>),
    async open(context): Promise<Session<GatewayDelivery>> {
      const client = await LineClient.open(host, port, (error) => context.lost(error), connectTimeoutMs);
      try {
        if (options.token !== undefined) await client.call('auth', [options.token]);
        await client.call('size', [], kw); // the queue exists
      } catch (error) {
        await client.close();
        throw error;
      }
      let stopped = false;
      let stopWaiting: (() => void) | undefined;
      let acks: string[] = [];
      const quiet = (p: Promise<unknown>): Promise<void> =>
        p.then(
          () => undefined,
          (error: unknown) => context.logger.debug({ err: error }, 'a settlement did not reach the gateway'),
        );
      const flushAcks = (): void => {
        const ids = acks;
        acks = [];
        void quiet(client.call('ack', ids));
      };
      return {
        async receive(max) {
          if (stopped) return [];
          const request = client.request('lease_many', [max, pollMs / 1000], leaseKw);
          const stop = new Promise<undefined>((resolve) => (stopWaiting = () => resolve(undefined)));
          const answer = await Promise.race([request, stop]);
          stopWaiting = undefined;
          if (answer === undefined || stopped) {
            // Stopped while waiting: what the lease brings after is given back, unseen.
            void quiet(
              request.then(([status, result]) => {
                if (status === 'success')
                  return client.call(
                    'release',
                    (result as LeasedItem[]).map((i) => i.id),
                  );
              }),
            );
            return [];
          }
          const [status, result] = answer;
          if (status === 'error:timeout') return [];
          if (status !== 'success') throw errorOf(status, result);
          return (result as LeasedItem[]).map((item) => ({
            id: item.id,
            payload: item.value,
            attempt: item.attempt,
            headers: item.headers,
            source: name,
          }));
        },
        ack(d) {
          if (acks.length === 0) queueMicrotask(flushAcks);
          acks.push(d.id);
        },
        requeue(d) {
          return quiet(client.call('nack', [d.id]));
        },
        resend(d, request) {
          return quiet(
            client.call('nack', [d.id], { delay_ms: request.delayMs, headers: resendHeaders(d.headers, request) }),
          );
        },
        deadLetter(d, request) {
          const error = request.error ? { name: request.error.name, message: request.error.message } : null;
          return quiet(client.call('dead_letter', [d.id, request.reason, error]));
        },
        release(ds) {
          return quiet(
            client.call(
              'release',
              ds.map((d) => d.id),
            ),
          );
        },
        stopIntake() {
          stopped = true;
          stopWaiting?.();
        },
        async close() {
          stopped = true;
          stopWaiting?.();
          if (acks.length > 0) flushAcks();
          await client.close();
        },
      };
    },
  };
}

function parseUrl(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError('url', 'a URL tcp://host:port', url);
  }
  const port = Number(parsed.port);
  if (parsed.protocol !== 'tcp:' || !parsed.hostname || !(port > 0))
    throw new InvalidOptionError('url', 'a URL tcp://host:port', `${parsed.protocol}//…`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}
