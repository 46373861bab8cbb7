import { ack, fixed, fromQueue, handle, json, retryWithResend } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { migrate, pgQueue, publishMany } from '@rxq/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLineError, rxq, rxqJson, start, uniqueName } from './helpers.js';

const URL = process.env.RXQ_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'rxq_console_test';
const TARGET = `${URL}?schema=${SCHEMA}`;
const pool = new pg.Pool({ connectionString: URL, max: 2 });

beforeAll(() => migrate({ connection: URL, schema: SCHEMA }));
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await pool.end();
});

async function figure(sql: string, params: unknown[]): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql, params)).rows[0]?.n);
}
const jobs = (q: string): Promise<number> => figure(`SELECT count(*) AS n FROM ${SCHEMA}.jobs WHERE queue = $1`, [q]);
const dead = (q: string): Promise<number> =>
  figure(`SELECT count(*) AS n FROM ${SCHEMA}.dead_letters WHERE source = $1`, [q]);

/** Dead letters inserted as rows (the table's own layout), `ageMs` old. */
async function deadLetters(q: string, count: number, reason = 'max-attempts', ageMs = 0, first = 0): Promise<void> {
  await pool.query(
    `INSERT INTO ${SCHEMA}.dead_letters (source, message_id, payload, headers, attempt, reason, error_name, error_message, created_at, dead_at)
     SELECT $1, i::text, convert_to('m' || i, 'UTF8'), '{"tenant":"acme","x-rxq-error-name":"Error"}', 5, $2, 'Error', 'boom', now(), now() - $3 * interval '1 millisecond'
     FROM generate_series($4::int, $4::int + $5::int - 1) AS i`,
    [q, reason, ageMs, first, count],
  );
}

describe('rxq on PostgreSQL', () => {
  it('peeks without claiming, publishes to an rxq consumer, and stats equal the table counts', async () => {
    const q = uniqueName('pg');
    await publishMany(pool, q, [{ a: 1 }, { a: 2 }], { schema: SCHEMA, headers: { tenant: 'acme' } });
    await pool.query(`SELECT ${SCHEMA}.publish($1, convert_to('from sql', 'UTF8'), '{}', 3600000)`, [q]);
    const peeked = await rxqJson<{ body: string; headers: Record<string, string> }[]>(['peek', TARGET, q, '--body']);
    expect(peeked.map((m) => m.body)).toEqual(['{"a":1}', '{"a":2}']);
    expect(peeked[0]?.headers).toEqual({ tenant: 'acme' });
    expect(await jobs(q)).toBe(3);
    await deadLetters(q, 2);
    expect(await rxqJson(['stats', TARGET, q])).toEqual({
      at: expect.any(String),
      depth: 2,
      inFlight: 0,
      delayed: 1,
      deadLetters: 2,
      consumers: null,
      lag: null,
    });
    expect(await rxqJson(['publish', TARGET, q, '-'], { input: '"x"\n"y"\n' })).toEqual({ published: 2 });
    const got: unknown[] = [];
    await collectUntil(
      fromQueue(pgQueue(q, { connection: URL, schema: SCHEMA, codec: json }), { maxInFlight: 8 }).pipe(
        handle((m) => void got.push(m.body)),
        ack(),
      ),
      (v) => v.length === 4,
    );
    expect(got).toEqual([{ a: 1 }, { a: 2 }, 'x', 'y']);
    await until(async () => (await jobs(q)) === 1, { what: 'the acks deleted the rows', timeoutMs: 60_000 });
  });

  it('lists what an rxq consumer dead-lettered, filters, redrives (a dry run moves none) and purges', async () => {
    const q = uniqueName('pgdlq');
    await publishMany(pool, q, [1, 2, 3], { schema: SCHEMA });
    await collectUntil(
      fromQueue(pgQueue(q, { connection: URL, schema: SCHEMA, codec: json }), { maxInFlight: 8 }).pipe(
        handle(() => {
          throw new SyntaxError('bad order');
        }),
        retryWithResend({ maxAttempts: 1, backoff: fixed() }),
        ack(),
      ),
      (v) => v.length === 3,
    );
    await deadLetters(q, 4, 'decode', 2 * 3_600_000);
    type Letter = { id: string; reason: string; error: { name: string; message: string } | null; body?: string };
    const all = await rxqJson<Letter[]>(['dlq', 'list', TARGET, q]);
    expect(all).toHaveLength(7);
    expect(all.filter((l) => l.reason === 'max-attempts').map((l) => l.error)).toEqual(
      Array(3).fill({ name: 'SyntaxError', message: 'bad order' }),
    );
    const old = await rxqJson<Letter[]>(['dlq', 'list', TARGET, q, '--older-than', '1h', '--body']);
    expect(old.map((l) => l.body)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(await rxqJson<Letter>(['dlq', 'show', TARGET, q, (old[2] as Letter).id])).toMatchObject({
      body: 'm2',
      reason: 'decode',
    });
    expect(await rxqJson(['dlq', 'redrive', TARGET, q, '--reason', 'max-attempts', '--dry-run'])).toMatchObject({
      matched: 3,
      moved: 0,
    });
    expect(await dead(q)).toBe(7);
    expect(await rxqJson(['dlq', 'redrive', TARGET, q, '--reason', 'max-attempts'])).toMatchObject({
      matched: 3,
      moved: 3,
    });
    expect(await dead(q)).toBe(4);
    const records = await collectUntil(
      fromQueue(pgQueue(q, { connection: URL, schema: SCHEMA, codec: json }), { maxInFlight: 8 }).pipe(
        handle(() => undefined),
        ack(),
      ),
      (v) => v.length === 3,
    );
    expect(records.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
    expect(await rxqJson(['dlq', 'purge', TARGET, q, '--id', (old[0] as Letter).id, '--yes'])).toEqual({ purged: 1 });
    expect(await rxqJson(['dlq', 'purge', TARGET, q, '--yes'])).toEqual({ purged: 3 });
    expect(await dead(q)).toBe(0);
  });

  it('redrives 10,000 dead letters exactly once across a SIGKILL (one transaction per batch)', async () => {
    const q = uniqueName('pg10k');
    await deadLetters(q, 10_000);
    const first = start(['dlq', 'redrive', TARGET, q, '--rate', '2000']);
    await until(async () => (await jobs(q)) >= 1000, { what: 'the redrive under way', timeoutMs: 60_000 });
    first.kill('SIGKILL');
    expect((await first.result).signal).toBe('SIGKILL');
    expect((await jobs(q)) + (await dead(q))).toBe(10_000);
    await rxqJson(['dlq', 'redrive', TARGET, q]);
    expect(await dead(q)).toBe(0);
    const bodies = (
      await pool.query<{ b: string }>(
        `SELECT convert_from(payload, 'UTF8') AS b FROM ${SCHEMA}.jobs WHERE queue = $1`,
        [q],
      )
    ).rows.map((r) => r.b);
    expect(bodies).toHaveLength(10_000);
    expect(new Set(bodies).size).toBe(10_000);
    const headers = (
      await pool.query<{ h: Record<string, string> }>(
        `SELECT headers AS h FROM ${SCHEMA}.jobs WHERE queue = $1 LIMIT 1`,
        [q],
      )
    ).rows[0]?.h;
    expect(headers?.tenant).toBe('acme');
    expect(headers?.['x-rxq-error-name']).toBeUndefined();
    await pool.query(`DELETE FROM ${SCHEMA}.jobs WHERE queue = $1`, [q]);
  });

  it('errors are one line without the password', async () => {
    const bad = await rxq(['stats', 'postgres://nobody:pgsecret55@127.0.0.1:5439/test', 'q']);
    expect(oneLineError(bad, ['pgsecret55'])).toContain('cannot reach PostgreSQL at postgres://127.0.0.1:5439/test');
    const noSchema = await rxq(['stats', `${URL}?schema=nope_not_here`, 'q']);
    expect(oneLineError(noSchema, [])).toContain('no rxq tables in schema nope_not_here');
  });
});
