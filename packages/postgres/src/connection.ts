import { InvalidOptionError, type Logger } from '@rxq/core';
import pg from 'pg';

/** What rxq needs of a query result. */
export interface PgResult {
  readonly rows: unknown[];
  readonly rowCount: number | null;
}

/** Anything that runs a parameterised statement: a `pg` Pool, a PoolClient or a Client. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgResult>;
}

/** A notification as `pg` emits it. */
export interface PgNotification {
  readonly channel: string;
  readonly payload?: string | undefined;
}

/** A client checked out of a pool (`pg.PoolClient`'s shape). */
export interface PgPoolClient extends PgQueryable {
  release(error?: Error | boolean): void;
  on(event: 'notification', listener: (n: PgNotification) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'notification', listener: (n: PgNotification) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** A connection pool (`pg.Pool`'s shape): the user's own, or one rxq makes from a URL. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}

/** A `postgres://` connection string, or a `pg` Pool the app already has (never ended by rxq). */
export type PgConnection = string | PgPool;

/** The default connection. */
export const DEFAULT_URL = 'postgres://127.0.0.1:5432/postgres';

/** Whether `value` has a Pool's shape (checked by shape, so any `pg` 8.x copy of the app works). */
export function isPool(value: unknown): value is PgPool {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.connect === 'function' && typeof v.query === 'function' && typeof v.end === 'function';
}

/** Whether `value` is a `pg` Client (it keeps its connection parameters; a Pool does not). */
function isClient(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'connectionParameters' in value;
}

/** Throws unless `connection` is a connection string or a Pool. */
export function checkConnection(connection: unknown): PgConnection {
  if (typeof connection === 'string') {
    if (!/^postgres(ql)?:\/\//.test(connection))
      throw new InvalidOptionError('connection', 'a postgres:// connection string or a pg Pool', '(a string)');
    return connection;
  }
  // A pg Client has a Pool's methods but is one connection, which rxq cannot share or reconnect.
  if (isClient(connection))
    throw new InvalidOptionError('connection', 'a postgres:// connection string or a pg Pool', 'a pg Client');
  if (isPool(connection)) return connection;
  throw new InvalidOptionError('connection', 'a postgres:// connection string or a pg Pool', connection);
}

/**
 * The pool a connector shares between its sessions, counted so that a pool made from a URL is
 * ended when the last session is done (a Pool the app passed is never ended). A pool rxq makes
 * names its connections `rxq:<name>` (`application_name`) and logs idle-client errors instead of
 * letting them crash the process.
 */
export class Pools {
  private pool: PgPool | undefined;
  private users = 0;
  private readonly owned: boolean;

  constructor(
    private readonly connection: PgConnection,
    private readonly label: string,
    private readonly maxConnections: number,
  ) {
    this.owned = typeof connection === 'string';
    if (!this.owned) this.pool = connection as PgPool;
  }

  acquire(logger: Logger): PgPool {
    this.users++;
    if (this.pool === undefined) {
      const pool = new pg.Pool({
        connectionString: this.connection as string,
        application_name: `rxq:${this.label}`.slice(0, 63),
        max: this.maxConnections,
      });
      pool.on('error', (error) => logger.warn({ err: error.message }, 'an idle PostgreSQL connection failed'));
      this.pool = pool;
      return pool;
    }
    return this.pool;
  }

  async release(): Promise<void> {
    if (--this.users > 0 || !this.owned || this.pool === undefined) return;
    const pool = this.pool;
    this.pool = undefined;
    await pool.end().catch(() => undefined);
  }
}
