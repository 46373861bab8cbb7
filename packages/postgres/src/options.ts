import { positiveInt, type Codec } from '@rxq/core';
import { bool, duration, nonEmpty } from '@rxq/core/kit';
import { hostname } from 'node:os';
import type { PgConnection } from './connection.js';

/** Options both sources take. */
export interface CommonOptions {
  /** A `postgres://` connection string, or the app's `pg` Pool (checked by shape, never ended by rxq). @default 'postgres://127.0.0.1:5432/postgres' */
  readonly connection?: PgConnection;
  /** The schema rxq's tables are in. @default 'rxq' */
  readonly schema?: string;
  /** Run {@link migrate} when the first session opens. @default true */
  readonly migrate?: boolean;
  /** How payloads are decoded. @default json */
  readonly codec?: Codec<unknown>;
  /**
   * How long a receive waits for a NOTIFY before it looks again: the fallback that finds what a
   * lost notification would have stranded, and delayed messages. @default 1_000
   */
  readonly pollMs?: number;
  /**
   * How long a claim holds a message (queue) or a range of offsets (topic) without renewal. A live
   * consumer renews its leases every third of it while the handler runs; a dead consumer's
   * messages come back when it ends, with attempt + 1. @default 30_000
   */
  readonly leaseMs?: number;
  /** The stem of this process's consumer ids (each session adds a unique suffix). @default `${hostname}-${pid}` */
  readonly consumerName?: string;
  /** Connections of the pool rxq makes from a connection string (one of them LISTENs). @default 4 */
  readonly maxConnections?: number;
  /** Acks written in one statement at most. @default 1_000 */
  readonly maxAckBatch?: number;
  /**
   * Whether rxq's own statements (claims, acks, lease renewals, resends, dead-letter moves) wait
   * for their WAL to reach disk. With `false` (`synchronous_commit = off` for those statements
   * only), a PostgreSQL crash (not a clean restart) may forget their last few hundred
   * milliseconds: those messages are delivered again, never lost. Publishes are the app's own
   * transactions and keep the server's setting.
   * @default false
   */
  readonly synchronousCommit?: boolean;
}

export const COMMON_KEYS = [
  'connection',
  'schema',
  'migrate',
  'codec',
  'pollMs',
  'leaseMs',
  'consumerName',
  'maxConnections',
  'maxAckBatch',
  'synchronousCommit',
] as const;

/** The common options with their defaults. */
export function commonSettings(options: CommonOptions): {
  pollMs: number;
  leaseMs: number;
  consumerName: string;
  maxConnections: number;
  maxAckBatch: number;
  migrate: boolean;
  synchronousCommit: boolean;
} {
  return {
    pollMs: duration('pollMs', options.pollMs, 1_000, 10),
    leaseMs: duration('leaseMs', options.leaseMs, 30_000, 300),
    consumerName: nonEmpty('consumerName', options.consumerName, `${hostname()}-${process.pid}`),
    maxConnections: positiveInt('maxConnections', options.maxConnections ?? 4),
    maxAckBatch: positiveInt('maxAckBatch', options.maxAckBatch ?? 1_000),
    migrate: bool('migrate', options.migrate, true),
    synchronousCommit: bool('synchronousCommit', options.synchronousCommit, false),
  };
}
