import type { Logger } from '@rxq/core';
import type { PgPool, PgPoolClient, TopicMessage } from '@rxq/postgres';
import type { ResolvedTopics } from './options.js';

/** `@rxq/postgres`'s functions, loaded when topics are configured. */
type Postgres = typeof import('@rxq/postgres');

/** A message as the topic routes answer it. */
export interface TopicItem {
  readonly offset: number;
  /** The body, when it is JSON (what `publishTopic` and the gateway write). */
  readonly value?: unknown;
  /** The stored bytes in base64, when the body is not JSON (written by another producer). */
  readonly payload?: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** When it was published, in milliseconds since the epoch. */
  readonly timestamp: number;
}

/**
 * The topic logs of `@rxq/postgres` as the gateway serves them: one pool, the schema migrated on
 * open, a LISTEN connection that wakes waiting pulls when a message is published (by anyone that
 * notifies), with a poll every `pollMs` as the fallback.
 */
export class Topics {
  private readonly waiters = new Map<string, Set<() => void>>();
  private listener: PgPoolClient | undefined;
  private closed = false;
  private relisten: NodeJS.Timeout | undefined;

  private constructor(
    readonly pg: Postgres,
    readonly pool: PgPool,
    private readonly owned: boolean,
    readonly config: ResolvedTopics,
    private readonly logger: Logger,
  ) {}

  /** Loads `@rxq/postgres` and `pg`, makes the pool, migrates the schema and starts listening. */
  static async open(config: ResolvedTopics, logger: Logger): Promise<Topics> {
    const postgres = await import('@rxq/postgres');
    let pool: PgPool;
    const owned = typeof config.connection === 'string';
    if (typeof config.connection === 'string') {
      const { default: pg } = await import('pg');
      const made = new pg.Pool({
        connectionString: config.connection,
        max: config.maxConnections,
        application_name: 'rxq-gateway:topics',
      });
      made.on('error', (error) => logger.warn({ err: error.message }, 'an idle PostgreSQL connection failed'));
      pool = made;
    } else pool = config.connection as unknown as PgPool;
    const topics = new Topics(postgres, pool, owned, config, logger);
    try {
      await postgres.migrate({ connection: pool, schema: config.schema });
      await topics.listen();
    } catch (error) {
      await topics.close();
      throw error;
    }
    return topics;
  }

  /** The connection and schema every call of `@rxq/postgres` takes. */
  get where(): { connection: PgPool; schema: string } {
    return { connection: this.pool, schema: this.config.schema };
  }

  /** Checks out a connection and LISTENs on the schema's channel; on its loss, tries again every `pollMs`. */
  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    let gone = false;
    const lost = (error: Error): void => {
      if (gone) return;
      gone = true;
      this.logger.warn({ err: error.message }, 'the topic LISTEN connection failed; polling until it is back');
      client.removeListener('error', lost);
      client.release(true);
      if (this.listener === client) this.listener = undefined;
      this.listenLater();
    };
    client.on('error', lost);
    client.on('notification', (n) => {
      if (n.payload !== undefined) this.wake(n.payload);
    });
    try {
      await client.query(`LISTEN "rxq_${this.config.schema}"`);
    } catch (error) {
      lost(asError(error));
      return;
    }
    if (this.closed) {
      gone = true;
      client.release(true);
      return;
    }
    this.listener = client;
  }

  private listenLater(): void {
    if (this.closed) return;
    this.relisten = setTimeout(() => {
      this.listen().catch((error: unknown) => {
        this.logger.warn({ err: asError(error).message }, 'could not LISTEN for topics yet; polling');
        this.listenLater();
      });
    }, this.config.pollMs);
  }

  /** Wakes the pulls waiting on `topic`. */
  wake(topic: string): void {
    const set = this.waiters.get(topic);
    if (set === undefined) return;
    this.waiters.delete(topic);
    for (const w of set) w();
  }

  /**
   * Reads up to `max` messages of a subscriber after its committed offset (or `after`); with none
   * there, waits up to `waitMs` for some (woken by NOTIFY, or polling every `pollMs`), and stops
   * waiting when `signal` aborts. Nothing is claimed or moved: what is not acked is read again.
   */
  async pull(
    topic: string,
    subscriber: string,
    max: number,
    after: number | undefined,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<{ committed: number; messages: TopicItem[] }> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      let wake: () => void = () => undefined;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const set = this.waiters.get(topic) ?? new Set();
      this.waiters.set(topic, set);
      set.add(wake);
      try {
        const read = await this.pg.readSubscriber({
          ...this.where,
          topic,
          subscriber,
          max,
          ...(after === undefined ? {} : { after }),
        });
        const left = deadline - performance.now();
        if (read.messages.length > 0 || left <= 0 || signal.aborted || this.closed)
          return { committed: Number(read.committed), messages: read.messages.map(item) };
        let timer: NodeJS.Timeout | undefined;
        const abort = (): void => wake();
        signal.addEventListener('abort', abort, { once: true });
        await Promise.race([
          woken,
          new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(left, this.config.pollMs)))),
        ]);
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
      } finally {
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(topic) === set) this.waiters.delete(topic);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.relisten);
    for (const topic of [...this.waiters.keys()]) this.wake(topic);
    const listener = this.listener;
    this.listener = undefined;
    listener?.release(true);
    if (this.owned) await this.pool.end().catch(() => undefined);
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function item(m: TopicMessage): TopicItem {
  const base = { offset: Number(m.offset), headers: m.headers, timestamp: m.createdAt.getTime() };
  try {
    return { ...base, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(m.payload)) as unknown };
  } catch {
    return { ...base, payload: m.payload.toString('base64') };
  }
}
