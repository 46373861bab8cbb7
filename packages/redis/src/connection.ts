import { ConnectionLostError, InvalidOptionError, RxqError, silentLogger, type Logger } from '@rxq/core';
import { within } from '@rxq/core/kit';
import type { Redis } from 'ioredis';
import { createClient } from './ioredis.js';
import type { ConnectionOptions } from 'node:tls';
import { classify } from './errors.js';
import { checkClient, type RedisClient } from './client.js';

/**
 * A Redis URL (`redis://[[user]:password@]host:port[/db]`, `rediss://…` for TLS) or an ioredis
 * client (5.x or 6.x) the app already has, used as it is and never closed by rxq.
 */
export type RedisConnection = string | RedisClient;

/** The default connection. */
export const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** A Redis connection name: no spaces, bounded length. */
export function connectionName(...parts: string[]): string {
  return parts
    .join(':')
    .replace(/[^\w:.\-{}]/g, '_')
    .slice(0, 200);
}

/** Where a URL points, for logs: never the user name or password. */
export function describeUrl(url: string): Record<string, unknown> {
  try {
    const u = new URL(url);
    return {
      host: u.hostname,
      port: Number(u.port || 6379),
      db: Number(u.pathname.slice(1) || 0),
      tls: u.protocol === 'rediss:',
    };
  } catch {
    return {};
  }
}

/**
 * The command connection a connector shares between its sessions, counted so that a connection
 * made from a URL is closed when the last session is done (a client the app passed is never
 * closed), and the dedicated blocking connections each session duplicates from it.
 *
 * Errors the client reports on its `error` event are classified (see {@link classify}), logged
 * (never with credentials) and remembered: a failure that retrying cannot mend (a wrong password, a
 * missing database) is what a failed open rejects with, so the stream errors with its cause.
 */
export class Connections {
  private client: Redis | undefined;
  private users = 0;
  private readonly owned: boolean;
  private logger: Logger = silentLogger;
  /** The last non-retryable error a connection of ours reported; cleared when one gets ready. */
  private fatal: RxqError | undefined;
  private lastLogged = '';

  constructor(
    private readonly connection: RedisConnection,
    private readonly label: string,
    private readonly tls: ConnectionOptions | undefined,
  ) {
    if (typeof connection === 'string') {
      if (!/^rediss?:\/\//.test(connection))
        throw new InvalidOptionError('connection', 'a redis:// or rediss:// URL or an ioredis client', '(a string)');
      this.owned = true;
    } else {
      this.client = checkClient(connection, 'connection') as Redis;
      this.owned = false;
      if (tls !== undefined)
        throw new InvalidOptionError(
          'tls',
          'no `tls` beside a client passed as `connection` (rxq cannot change a client it did not make: give that client its TLS options)',
          tls,
        );
    }
  }

  /** The shared command connection; call {@link release} once per acquire. */
  async acquire(logger: Logger): Promise<Redis> {
    this.logger = logger;
    if (this.client?.status === 'end' && !this.owned)
      throw new RxqError('REDIS_CLIENT_CLOSED', 'the ioredis client passed as `connection` was closed (quit)');
    this.users++;
    if (this.client === undefined) {
      const url = this.connection as string;
      const options = { connectionName: connectionName('rxq', this.label), ...(this.tls && { tls: this.tls }) };
      const client = createClient(url, options);
      this.client = client;
      this.watch(client, 'command');
      client.on('ready', () => this.logger.info({ ...describeUrl(url), connection: 'command' }, 'connected to Redis'));
      client.on('reconnecting', (delayMs: unknown) =>
        this.logger.debug({ connection: 'command', delayMs }, 'reconnecting to Redis'),
      );
    }
    return this.client;
  }

  async release(): Promise<void> {
    if (--this.users > 0 || !this.owned || this.client === undefined) return;
    const client = this.client;
    this.client = undefined;
    await client.quit().catch(() => client.disconnect());
  }

  /**
   * A new dedicated connection for blocking reads, duplicated from the command connection. It does
   * not reconnect: when it drops, its session is lost and `fromQueue` opens a new one. Rejects with
   * the classified cause when it cannot open (a wrong password is an `AuthenticationError`).
   */
  async blocking(base: Redis, name: string): Promise<Redis> {
    const client = base.duplicate({
      connectionName: name,
      lazyConnect: true,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: null,
    });
    let failure: RxqError | undefined;
    client.on('error', (error: unknown) => {
      failure = this.report(error, 'blocking');
    });
    try {
      await client.connect();
      // ioredis reports a failed SELECT on its error event and goes on with database 0: not here.
      await client.ping();
    } catch (error) {
      client.disconnect();
      const cause = failure && !failure.retryable ? failure : this.fatal;
      throw cause ?? new ConnectionLostError('could not open a blocking connection to Redis', failure ?? error);
    }
    if ((failure && !failure.retryable) || this.fatal) {
      client.disconnect();
      throw failure && !failure.retryable ? failure : (this.fatal as RxqError);
    }
    this.logger.debug({ connection: name }, 'opened a blocking connection');
    return client;
  }

  /** Listens to the errors of a connection rxq made (a passed client's errors are its owner's). */
  private watch(client: Redis, role: string): void {
    client.on('error', (error: unknown) => void this.report(error, role));
    client.on('ready', () => {
      this.fatal = undefined;
      this.lastLogged = '';
    });
  }

  /** Classifies, remembers and logs (once per distinct cause) an error a connection reported. */
  private report(error: unknown, role: string): RxqError {
    const classified = classify(error, 'connecting');
    if (!classified.retryable) this.fatal = classified;
    const cause = error instanceof Error ? error.message : String(error);
    const key = `${classified.code} ${cause}`;
    if (key !== this.lastLogged) {
      this.lastLogged = key;
      const fields = { connection: role, code: classified.code, cause };
      if (classified.retryable) this.logger.warn(fields, 'Redis connection error');
      else this.logger.error(fields, classified.message);
    }
    return classified;
  }
}

/** Closes a blocking connection and resolves once it has ended. */
export function closeBlocking(client: Redis): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  // 'end' follows at once (the connection never reconnects); the bound only guards a close.
  const ended = within(new Promise((resolve) => client.once('end', resolve)), 1_000);
  client.disconnect();
  return ended.then(() => undefined);
}

/** A retryable connection-lost error whose message never holds credentials. */
export function lost(message: string, cause?: unknown): ConnectionLostError {
  return new ConnectionLostError(message, cause);
}

/** Translates an ioredis error at the boundary (see {@link classify}). */
export function translate(error: unknown, what: string): RxqError {
  return classify(error, what);
}
