import { ConnectionLostError, InvalidOptionError, RxqError } from '@rxq/core';
import { Redis } from 'ioredis';

/** A Redis URL (`redis://[:password@]host:port[/db]`) or an ioredis client the app already has. */
export type RedisConnection = string | Redis;

/** The default connection. */
export const DEFAULT_URL = 'redis://127.0.0.1:6379';

const noop = (): void => undefined;

/** A Redis connection name: no spaces, bounded length. */
export function connectionName(...parts: string[]): string {
  return parts
    .join(':')
    .replace(/[^\w:.\-{}]/g, '_')
    .slice(0, 200);
}

/**
 * The command connection a connector shares between its sessions, counted so that a connection
 * made from a URL is closed when the last session is done (a client the app passed is never
 * closed), and the dedicated blocking connections each session duplicates from it.
 */
export class Connections {
  private client: Redis | undefined;
  private users = 0;
  private readonly owned: boolean;

  constructor(
    private readonly connection: RedisConnection,
    private readonly label: string,
  ) {
    if (typeof connection === 'string') {
      if (!/^rediss?:\/\//.test(connection))
        throw new InvalidOptionError('connection', 'a redis:// or rediss:// URL or an ioredis client', '(a string)');
      this.owned = true;
    } else if (connection instanceof Redis) {
      this.owned = false;
      this.client = connection;
    } else throw new InvalidOptionError('connection', 'a redis:// URL or an ioredis client', connection);
  }

  /** The shared command connection; call {@link release} once per acquire. */
  acquire(): Redis {
    if (this.client?.status === 'end' && !this.owned)
      throw new RxqError('REDIS_CLIENT_CLOSED', 'the ioredis client passed as `connection` was closed (quit)');
    this.users++;
    if (this.client === undefined) {
      this.client = new Redis(this.connection as string, { connectionName: connectionName('rxq', this.label) });
      this.client.on('error', noop);
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
   * not reconnect: when it drops, its session is lost and `fromQueue` opens a new one.
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
    client.on('error', noop);
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw lost('could not open a blocking connection to Redis', error);
    }
    return client;
  }
}

/** Closes a blocking connection and resolves once it has ended. */
export function closeBlocking(client: Redis): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  const ended = new Promise<void>((resolve) => {
    // 'end' follows at once (the connection never reconnects); the timer only guards a close.
    const timer = setTimeout(resolve, 1_000);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.disconnect();
  return ended;
}

/** A retryable connection-lost error whose message never holds credentials. */
export function lost(message: string, cause?: unknown): ConnectionLostError {
  return new ConnectionLostError(message, cause);
}

/**
 * Translates an ioredis error at the boundary: an error reply from the server (wrong key type,
 * script error) is not retryable, except a missing consumer group (`NOGROUP`), which reopening
 * creates again; anything else (closed connection, retries exhausted) is a retryable connection loss.
 */
export function translate(error: unknown, what: string): RxqError {
  if (error instanceof RxqError) return error;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ReplyError') {
    const code = message.split(' ')[0] ?? 'ERR';
    return new RxqError(`REDIS_${code}`, `Redis refused ${what}: ${message.slice(0, 200)}`, {
      retryable: code === 'NOGROUP' || code === 'LOADING' || code === 'BUSY' || code === 'TRYAGAIN',
      cause: error,
    });
  }
  return lost(`Redis connection lost during ${what}`, error);
}
