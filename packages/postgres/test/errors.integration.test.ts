import { AuthenticationError, fromQueue, NotFoundError } from '@rxq/core';
import { firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { pgQueue, pgTopic } from '../src/index.js';
import { adminPool, PG_URL, uniqueSchema } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

const base = new URL(PG_URL);

/** The error the source ends with (it must end, not reconnect for ever). */
async function endsWith(source: ReturnType<typeof fromQueue>): Promise<unknown> {
  return firstValueFrom(source).then(
    () => new Error('the source emitted instead of failing'),
    (error: unknown) => error,
  );
}

describe('errors from a real server', { timeout: 30_000 }, () => {
  it('an unknown role (28000) errors the stream with AuthenticationError instead of reconnecting', async () => {
    const url = new URL(PG_URL);
    url.username = `rxq_no_such_role_${Date.now().toString(36)}`;
    const error = await endsWith(fromQueue(pgQueue('q', { connection: url.toString() })));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).not.toContain(url.username);
  });

  it('a database that does not exist (3D000) errors the stream with NotFoundError', async () => {
    const url = new URL(PG_URL);
    url.pathname = `/rxq_no_such_db_${Date.now().toString(36)}`;
    expect(await endsWith(fromQueue(pgQueue('q', { connection: url.toString() })))).toBeInstanceOf(NotFoundError);
  });

  it('a schema that was never migrated (42P01) errors the stream with NotFoundError naming migrate()', async () => {
    const schema = uniqueSchema('nomig');
    const error = await endsWith(
      fromQueue(pgTopic('t', { subscriber: 's', connection: base.toString(), schema, migrate: false })),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain('migrate()');
    const { rows } = await admin.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
    expect(rows).toHaveLength(0);
  });
});
