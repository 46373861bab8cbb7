import {
  InvalidOptionError,
  nonNegative,
  opt,
  positiveInt,
  rejectUnknownOptions,
  silentLogger,
  type Logger,
} from '@rxq/core';
import { MemoryQueue } from '@rxq/memory';
import type { QueueBackend } from './backend.js';
import { memoryBackend } from './memoryBackend.js';

/** Options of {@link serve}. */
export interface ServeOptions {
  /**
   * The queues served, by name: a {@link MemoryQueue} (served by {@link memoryBackend}, its dead
   * letters at `<name>.dead-letter`) or any {@link QueueBackend}.
   * @default { default: new MemoryQueue() }
   */
  readonly queues?: Readonly<Record<string, MemoryQueue<unknown> | QueueBackend>>;
  /** The queue a request without a `queue` keyword argument uses. @default the first of `queues` */
  readonly defaultQueue?: string;
  /** TCP port of the line protocol; `0` picks a free one. @default 3000 */
  readonly port?: number;
  /** Address to listen on (TCP and HTTP). @default '127.0.0.1' */
  readonly host?: string;
  /** HTTP port (both HTTP forms); `0` picks a free one. @default undefined (no HTTP) */
  readonly httpPort?: number;
  /**
   * A bearer token. TCP clients send `["auth", [token]]` first; HTTP clients send
   * `Authorization: Bearer <token>`. @default undefined (no authentication)
   */
  readonly token?: string;
  /** Open TCP connections at most; one more is answered `error:unknown` and closed. @default 1024 */
  readonly maxConnections?: number;
  /** Longest request line, in bytes; a longer one is answered `error:unknown` and closed. @default 1_048_576 */
  readonly maxLineBytes?: number;
  /** Longest HTTP request body, in bytes; a longer one is answered 413. @default 1_048_576 */
  readonly maxBodyBytes?: number;
  /** A line begun and not finished within this is answered `error:unknown` and closed. @default 30_000 */
  readonly lineTimeoutMs?: number;
  /** How long a pulled item stays leased before it goes back with `attempt + 1`. @default 300_000 */
  readonly leaseMs?: number;
  /** Longest wait of one HTTP pull (a longer `waitMs` or `timeout` is cut to it). @default 30_000 */
  readonly maxWaitMs?: number;
  /**
   * Serves the topic logs of `@rxq/postgres` under `/v1/topics` (HTTP only, so `httpPort` is
   * needed). `@rxq/postgres` and `pg` must be installed beside the gateway; they are loaded only
   * when this is set. The schema is migrated on start.
   * @default undefined (no topic routes)
   */
  readonly postgres?: PostgresTopicsOptions;
  /** Where the gateway logs (connections refused, limits hit, failures). @default silentLogger */
  readonly logger?: Logger;
}

/** A `pg` Pool's shape (the app's own copy of `pg` works). */
export interface PgPoolLike {
  connect(): Promise<unknown>;
  query(text: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}

/** Options of the topic routes ({@link ServeOptions.postgres}). */
export interface PostgresTopicsOptions {
  /**
   * A `postgres://` connection string (the gateway makes a pool of `maxConnections` and ends it on
   * close) or the app's `pg` Pool (never ended by the gateway).
   */
  readonly connection: string | PgPoolLike;
  /** The schema of `@rxq/postgres`'s tables. @default 'rxq' */
  readonly schema?: string;
  /** Connections of the pool made from a connection string (one of them LISTENs). @default 4 */
  readonly maxConnections?: number;
  /**
   * How often a waiting pull looks again for messages when no NOTIFY woke it (a publisher that
   * does not notify, a lost notification). @default 1_000
   */
  readonly pollMs?: number;
  /** Messages one pull returns at most (a larger `max` is a 400). @default 1_000 */
  readonly maxBatch?: number;
}

/** {@link PostgresTopicsOptions} checked, with defaults. */
export interface ResolvedTopics {
  readonly connection: string | PgPoolLike;
  readonly schema: string;
  readonly maxConnections: number;
  readonly pollMs: number;
  readonly maxBatch: number;
}

/** {@link ServeOptions} with defaults applied and checked. */
export interface ResolvedOptions {
  readonly queues: ReadonlyMap<string, QueueBackend>;
  readonly defaultQueue: QueueBackend;
  readonly port: number;
  readonly host: string;
  readonly httpPort: number | undefined;
  readonly token: string | undefined;
  readonly maxConnections: number;
  readonly maxLineBytes: number;
  readonly maxBodyBytes: number;
  readonly lineTimeoutMs: number;
  readonly leaseMs: number;
  readonly maxWaitMs: number;
  readonly postgres: ResolvedTopics | undefined;
  readonly logger: Logger;
}

const KNOWN = [
  'queues',
  'defaultQueue',
  'port',
  'host',
  'httpPort',
  'token',
  'maxConnections',
  'maxLineBytes',
  'maxBodyBytes',
  'lineTimeoutMs',
  'leaseMs',
  'maxWaitMs',
  'postgres',
  'logger',
] as const;

const TOPIC_KEYS = ['connection', 'schema', 'maxConnections', 'pollMs', 'maxBatch'] as const;

function resolveTopics(
  given: PostgresTopicsOptions | undefined,
  httpPort: number | undefined,
): ResolvedTopics | undefined {
  if (given === undefined) return undefined;
  rejectUnknownOptions(given, TOPIC_KEYS, 'postgres');
  if (httpPort === undefined)
    throw new InvalidOptionError(
      'postgres',
      'to be given with `httpPort` (topics are served over HTTP)',
      '(no httpPort)',
    );
  const c: unknown = given.connection;
  const pool =
    typeof c === 'object' &&
    c !== null &&
    ['connect', 'query', 'end'].every((k) => typeof (c as Record<string, unknown>)[k] === 'function');
  if (!(typeof c === 'string' && /^postgres(ql)?:\/\//.test(c)) && !pool)
    throw new InvalidOptionError(
      'postgres.connection',
      'a postgres:// connection string or a pg Pool',
      typeof c === 'string' ? '(a string)' : c,
    );
  const schema = opt(given.schema, 'rxq', (v) => {
    if (typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,47}$/.test(v)) return v;
    throw new InvalidOptionError('postgres.schema', 'a schema name of letters, digits and _ (at most 48)', v);
  });
  return {
    connection: given.connection,
    schema,
    maxConnections: opt(given.maxConnections, 4, (v) => positiveInt('postgres.maxConnections', v)),
    pollMs: opt(given.pollMs, 1_000, (v) => positiveInt('postgres.pollMs', v)),
    maxBatch: opt(given.maxBatch, 1_000, (v) => positiveInt('postgres.maxBatch', v)),
  };
}

const port = (option: string) => (v: number) => {
  if (Number.isInteger(v) && v >= 0 && v <= 65535) return v;
  throw new InvalidOptionError(option, 'an integer port 0..65535', v);
};

/** Checks `options` (unknown keys, types, ranges) and applies the defaults. */
export function resolveOptions(options: ServeOptions): ResolvedOptions {
  rejectUnknownOptions(options, KNOWN);
  const queues = new Map<string, QueueBackend>();
  const given = options.queues ?? { default: new MemoryQueue<unknown>() };
  if (typeof given !== 'object' || given === null) throw new InvalidOptionError('queues', 'an object of queues', given);
  for (const [name, q] of Object.entries(given)) {
    if (q instanceof MemoryQueue) {
      // Its dead letters go to `<name>.dead-letter`: the queue given under that name, or a new one.
      const dead = `${name}.dead-letter`;
      const given = (options.queues ?? {})[dead];
      const backend = memoryBackend(name, q, given instanceof MemoryQueue ? { deadLetter: given } : {});
      queues.set(name, backend);
      if (!queues.has(dead)) queues.set(dead, memoryBackend(dead, backend.deadLetters));
    } else if (isBackend(q)) queues.set(name, q);
    else throw new InvalidOptionError(`queues.${name}`, 'a MemoryQueue or a QueueBackend', q);
  }
  const first = Object.keys(given)[0];
  if (first === undefined) throw new InvalidOptionError('queues', 'at least one queue', given);
  const defaultName = opt(options.defaultQueue, first, (v) => {
    if (typeof v === 'string' && queues.has(v)) return v;
    throw new InvalidOptionError('defaultQueue', 'the name of a served queue', v);
  });
  const token = opt<string | undefined>(options.token, undefined, (v) => {
    if (typeof v === 'string' && v.length > 0) return v;
    throw new InvalidOptionError('token', 'a non-empty string', typeof v === 'string' ? '' : v);
  });
  const httpPort = opt<number | undefined>(options.httpPort, undefined, (v) => port('httpPort')(v as number));
  const logger = options.logger ?? silentLogger;
  if (typeof logger.info !== 'function') throw new InvalidOptionError('logger', 'a Logger', logger);
  return {
    queues,
    defaultQueue: queues.get(defaultName) as QueueBackend,
    port: opt(options.port, 3000, port('port')),
    host: opt(options.host, '127.0.0.1', (v) => {
      if (typeof v === 'string' && v.length > 0) return v;
      throw new InvalidOptionError('host', 'a host name or address', v);
    }),
    httpPort,
    token,
    maxConnections: opt(options.maxConnections, 1024, (v) => positiveInt('maxConnections', v)),
    maxLineBytes: opt(options.maxLineBytes, 1_048_576, (v) => positiveInt('maxLineBytes', v)),
    maxBodyBytes: opt(options.maxBodyBytes, 1_048_576, (v) => positiveInt('maxBodyBytes', v)),
    lineTimeoutMs: opt(options.lineTimeoutMs, 30_000, (v) => positiveInt('lineTimeoutMs', v, true)),
    leaseMs: opt(options.leaseMs, 300_000, (v) => positiveInt('leaseMs', v)),
    maxWaitMs: opt(options.maxWaitMs, 30_000, (v) => nonNegative('maxWaitMs', v)),
    postgres: resolveTopics(options.postgres, httpPort),
    logger,
  };
}

function isBackend(q: unknown): q is QueueBackend {
  if (typeof q !== 'object' || q === null) return false;
  const b = q as Partial<QueueBackend>;
  return typeof b.push === 'function' && typeof b.take === 'function' && typeof b.ack === 'function';
}
