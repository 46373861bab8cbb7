import { HEADERS } from '@rxq/core';
import type { DeadLetterView } from '@rxq/core/testing';
import pg from 'pg';
import { migrate } from '../src/index.js';

export const PG_URL = process.env.RXQ_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A unique schema name for one test. */
export function uniqueSchema(kind: string): string {
  return `rxq_t_${kind}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4, application_name: 'rxq-test-admin' });
  pool.on('error', () => undefined);
  return pool;
}

/** A migrated, uniquely named schema; `drop` removes it (and only it). */
export async function freshSchema(
  admin: pg.Pool,
  kind: string,
): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = uniqueSchema(kind);
  await migrate({ connection: admin, schema });
  return { schema, drop: () => dropSchema(admin, schema) };
}

/**
 * Drops one test's schema. A source unsubscribed a moment ago may still be writing its last
 * settlements there (its close runs on): a deadlock with them is tried again.
 */
export async function dropSchema(admin: pg.Pool, schema: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 10 || (code !== '40P01' && code !== '55P03')) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Dead letters of a queue or topic, as the contract suite reads them. */
export async function deadLetters(admin: pg.Pool, schema: string, source: string): Promise<DeadLetterView[]> {
  const { rows } = await admin.query<{ payload: Buffer; reason: string; error_message: string | null }>(
    `SELECT payload, reason, error_message FROM "${schema}".dead_letters WHERE source = $1 ORDER BY id`,
    [source],
  );
  return rows.map((r) => ({ raw: r.payload, reason: r.reason, errorMessage: r.error_message ?? undefined }));
}

/** Terminates the server connections whose application_name starts with `prefix`. */
export async function terminate(admin: pg.Pool, prefix: string): Promise<number> {
  const { rows } = await admin.query<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name LIKE $1 || '%' AND pid <> pg_backend_pid()`,
    [prefix],
  );
  return rows.filter((r) => r.ok).length;
}

export { HEADERS };
