import {
  errorInfo,
  InFlightCount,
  HEADERS,
  InvalidOptionError,
  json,
  positiveInt,
  opt,
  rejectUnknownOptions,
  silentLogger,
  type Connector,
  type Delivery,
  type Logger,
  type Session,
} from '@rxq/core';
import { Wakeup } from '@rxq/core/kit';
import type { DeadLetterRecord, Item, PutBack, QueueBackend } from './backend.js';

/** Options of {@link connectorBackend}. */
export interface ConnectorBackendOptions {
  /** The rxq connector the gateway consumes from (`redis('jobs')`, `amqp(…)`, `kafka(…)`). */
  readonly connector: Connector;
  /** Appends values to the same queue (`RPUSH`, `basic.publish`, a Kafka produce). */
  readonly publish: (values: readonly unknown[]) => Promise<void>;
  /** Deliveries held at once, leased to clients (the connector's `maxInFlight`). @default 1024 */
  readonly maxInFlight?: number;
  /** Wait after a failed receive before the session is opened again. @default 500 */
  readonly retryMs?: number;
  /**
   * How an item given back unhandled (a `release`) returns: `release` (the session's, attempt not
   * counted) or `requeue`, for a connector whose release only takes effect when its session ends
   * (Kafka: not committed, delivered again after a rebalance). @default 'release'
   */
  readonly releaseAs?: 'release' | 'requeue';
  /** Called on close, after the session: close a publisher's client here. @default nothing */
  readonly close?: () => Promise<void>;
  /** Where the backend logs. @default silentLogger */
  readonly logger?: Logger;
}

interface Held {
  readonly session: Session;
  /** The in-flight count of `session`, which the session reads through its context. */
  readonly count: InFlightCount;
  readonly delivery: Delivery;
}

const KNOWN = ['connector', 'publish', 'maxInFlight', 'retryMs', 'releaseAs', 'close', 'logger'] as const;

/**
 * Serves a queue of any rxq connector: a client's pull takes deliveries from one session of the
 * connector (with its guarantees: a Redis reliable list, an AMQP queue, a Kafka consumer group),
 * and the gateway's settlements map to the session's: ack → `ack`, nack → `requeue` (or `resend`
 * with a delay or rxq's resend headers), a release → `release`, a dropped client → `requeue`,
 * dead-letter → `deadLetter`.
 * Payloads are decoded with the connector's default codec (JSON); one that does not decode is
 * dead-lettered with reason `decode` and never handed out. Timeouts are as fine as the connector's
 * poll interval (Redis: `blockMs`).
 *
 * @example
 * const client = new Redis();
 * connectorBackend({ connector: redis('jobs'), publish: async (vs) => void (await client.rpush('jobs', ...vs.map((v) => JSON.stringify(v)))) });
 */
export function connectorBackend(name: string, options: ConnectorBackendOptions): QueueBackend {
  rejectUnknownOptions(options, KNOWN);
  const maxInFlight = opt(options.maxInFlight, 1024, (v) => positiveInt('maxInFlight', v));
  const retryMs = opt(options.retryMs, 500, (v) => positiveInt('retryMs', v));
  const releaseAs = opt(options.releaseAs, 'release', (v) => {
    if (v === 'release' || v === 'requeue') return v;
    throw new InvalidOptionError('releaseAs', "'release' or 'requeue'", v);
  });
  const logger = options.logger ?? silentLogger;
  const codec = options.connector.defaultCodec ?? json;
  let session: Promise<Session> | undefined;
  /** The in-flight count of `session`. */
  let count = new InFlightCount();
  let held = 0;
  let turn: Promise<unknown> = Promise.resolve();
  let closed = false;
  /** Wakes a take that waits for credit: a settlement freed some, or a close began. */
  const freed = new Wakeup();

  const current = (): Promise<Session> => {
    if (session !== undefined) return session;
    const mine = (count = new InFlightCount());
    session = options.connector.open({
      maxInFlight,
      logger,
      lost: (error) => {
        logger.warn({ err: errorInfo(error), queue: name }, 'connector connection lost; reopening');
        void drop();
      },
      get inFlight() {
        return mine.inFlight;
      },
      settled: () => mine.settled(),
    });
    return session;
  };
  const drop = async (): Promise<void> => {
    const s = session;
    session = undefined;
    await s?.then((x) => x.close()).catch(() => undefined);
  };
  const settle = (item: Item, how: (h: Held) => unknown): Promise<void> => {
    held--;
    freed.wake();
    const h = item.handle as Held;
    h.count.remove();
    return Promise.resolve(how(h)).then(
      () => undefined,
      (error: unknown) =>
        logger.warn({ err: errorInfo(error), queue: name }, 'a settlement failed; the broker redelivers'),
    );
  };

  /** One receive at a time: a session's receive is not reentrant. */
  async function takeOnce(max: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<Item[]> {
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted || closed) return [];
      const credit = Math.min(max, maxInFlight - held);
      const items: Item[] = [];
      if (credit > 0) {
        let s: Session | undefined;
        let c = count;
        let got: readonly Delivery[] = [];
        try {
          const opening = current();
          c = count;
          s = await opening;
          got = await s.receive(credit);
        } catch (error) {
          logger.warn({ err: errorInfo(error), queue: name }, 'receive failed; reopening');
          await drop();
          await new Promise((r) => setTimeout(r, retryMs));
        }
        if (s !== undefined && got.length > 0) {
          const from = s;
          if (signal?.aborted) {
            await (from.release ? from.release(got) : Promise.all(got.map((d) => Promise.resolve(from.requeue(d)))));
            return [];
          }
          for (const d of got) {
            try {
              const value = codec.decode(d.payload, d.headers ?? {});
              items.push({
                value,
                attempt: d.attempt,
                headers: d.headers,
                handle: { session: from, count: c, delivery: d },
              });
              held++;
              c.add();
            } catch (error) {
              await from.deadLetter(d, { reason: 'decode', error: errorInfo(error), at: Date.now() });
            }
          }
        }
      } else {
        // No credit: wait for a settlement, the deadline, an abort or a close.
        const onAbort = (): boolean => freed.wake();
        signal?.addEventListener('abort', onAbort, { once: true });
        await freed.wait(deadline - performance.now());
        signal?.removeEventListener('abort', onAbort);
      }
      if (items.length > 0 || performance.now() >= deadline) return items;
    }
  }

  // Open at once: the connector declares its queue (AMQP) before anything is published to it.
  current().catch((error: unknown) =>
    logger.warn({ err: errorInfo(error), queue: name }, 'could not open the connector yet; retrying on the first pull'),
  );

  return {
    name,
    async push(values) {
      // Published only once the connector has declared its topology (or failed to, then as it is).
      await session?.catch(() => undefined);
      await options.publish(values);
    },
    take(max, timeoutMs, signal) {
      const run = turn.then(() => takeOnce(max, timeoutMs, signal));
      turn = run.catch(() => undefined);
      return run;
    },
    async ack(items) {
      await Promise.all(items.map((i) => settle(i, (h) => h.session.ack(h.delivery))));
    },
    async putBack(items, how: PutBack) {
      await Promise.all(
        items.map((i) =>
          settle(i, (h) => {
            const delayMs = how.delayMs ?? 0;
            // A delay or rxq's resend headers: a copy with attempt + 1 (a broker's requeue may not count it).
            if (delayMs > 0 || how.headers !== undefined) {
              const name = how.headers?.[HEADERS.errorName];
              const message = how.headers?.[HEADERS.errorMessage];
              const error = name !== undefined && message !== undefined ? { error: { name, message } } : {};
              return h.session.resend(h.delivery, { attempt: h.delivery.attempt + 1, delayMs, ...error });
            }
            if (how.countAttempt || releaseAs === 'requeue') return h.session.requeue(h.delivery);
            return h.session.release ? h.session.release([h.delivery]) : h.session.requeue(h.delivery);
          }),
        ),
      );
    },
    deadLetter(item: Item, record: DeadLetterRecord) {
      const { error, ...rest } = record;
      return settle(item, (h) => h.session.deadLetter(h.delivery, error ? { ...rest, error } : rest));
    },
    async close() {
      closed = true;
      freed.wake();
      await turn;
      await drop();
      await options.close?.();
    },
  };
}
