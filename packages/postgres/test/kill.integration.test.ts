import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { publishMany, publishTopicMany } from '../src/index.js';
import { adminPool, freshSchema, PG_URL } from './helpers.js';
import { until } from '@rxq/core/testing';

const fixture = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const admin = adminPool();
afterAll(() => admin.end());

const N = 3_000;
const KILLS = 3;
const MAX_IN_FLIGHT = 32;

function start(mode: string, schema: string, name: string): ChildProcess {
  return fork(fixture, [mode, PG_URL, schema, name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
}

async function killTest(mode: 'queue' | 'topic'): Promise<void> {
  const { schema, drop } = await freshSchema(admin, `kill${mode}`);
  const name = 'k';
  try {
    await admin.query(
      `CREATE TABLE "${schema}".done (n integer NOT NULL, attempt integer NOT NULL, pid integer NOT NULL)`,
    );
    const bodies = Array.from({ length: N }, (_, n) => ({ n }));
    if (mode === 'queue') await publishMany(admin, name, bodies, { schema });
    else await publishTopicMany(admin, name, bodies, { schema });
    const handled = async (): Promise<number> =>
      Number((await admin.query(`SELECT count(DISTINCT n) AS c FROM "${schema}".done`)).rows[0].c);
    // SIGKILL at random points, each later than the last, then one consumer that finishes.
    let reached = 0;
    for (let k = 0; k < KILLS; k++) {
      reached += Math.floor(200 + Math.random() * (N / KILLS - 300));
      const child = start(mode, schema, name);
      const target = reached;
      await until(async () => (await handled()) >= target, { what: `${target} handled`, timeoutMs: 30_000 });
      child.kill('SIGKILL');
      await exited(child);
    }
    // Every message handled is not enough: what a killed consumer handled but never settled is
    // still leased to it, and comes to this one (again) only when its lease ends.
    const settled = async (): Promise<boolean> =>
      mode === 'queue'
        ? Number((await admin.query(`SELECT count(*) AS c FROM "${schema}".jobs`)).rows[0].c) === 0
        : Number(
            (await admin.query(`SELECT committed FROM "${schema}".subscribers WHERE name = 'kill'`)).rows[0]?.committed,
          ) === N;
    const last = start(mode, schema, name);
    await until(async () => (await handled()) === N && (await settled()), {
      what: 'every message handled and settled',
      timeoutMs: 60_000,
    });
    last.kill('SIGTERM');
    await exited(last);
    const { rows } = await admin.query<{ n: number; attempt: number }>(
      `SELECT n, attempt FROM "${schema}".done ORDER BY n, attempt`,
    );
    const ns = new Set(rows.map((r) => r.n));
    expect(ns.size).toBe(N);
    // Duplicates: at most what the killed consumers held in flight.
    expect(rows.length - N).toBeLessThanOrEqual(KILLS * MAX_IN_FLIGHT);
    // A message handled again carries a higher attempt.
    for (let i = 1; i < rows.length; i++)
      if (rows[i]?.n === rows[i - 1]?.n) expect(rows[i]?.attempt).toBeGreaterThan(rows[i - 1]?.attempt ?? 0);
    expect(await settled()).toBe(true);
    if (mode === 'topic')
      expect(Number((await admin.query(`SELECT count(*) AS c FROM "${schema}".claims`)).rows[0].c)).toBe(0);
  } finally {
    await drop();
  }
}

describe('a consumer killed with SIGKILL mid-stream', { timeout: 120_000 }, () => {
  it('queue: every message handled and acked, none lost, duplicates bounded by in-flight', async () => {
    await killTest('queue');
  });

  it('topic: every message handled and committed, none lost, duplicates bounded by in-flight', async () => {
    await killTest('topic');
  });
  it('topic: two processes of one subscriber at once share its stream, and no message is handled twice', async () => {
    const { schema, drop } = await freshSchema(admin, 'twoproc');
    try {
      await admin.query(
        `CREATE TABLE "${schema}".done (n integer NOT NULL, attempt integer NOT NULL, pid integer NOT NULL)`,
      );
      await publishTopicMany(
        admin,
        'k',
        Array.from({ length: N }, (_, n) => ({ n })),
        { schema },
      );
      const children = [start('topic', schema, 'k'), start('topic', schema, 'k')];
      await until(
        async () => Number((await admin.query(`SELECT count(DISTINCT n) AS c FROM "${schema}".done`)).rows[0].c) === N,
        { what: 'every message handled', timeoutMs: 60_000 },
      );
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map(exited));
      const { rows } = await admin.query<{ pid: number; c: string }>(
        `SELECT pid, count(*) AS c FROM "${schema}".done GROUP BY pid`,
      );
      expect(rows.reduce((a, r) => a + Number(r.c), 0)).toBe(N);
      expect(rows).toHaveLength(2);
    } finally {
      await drop();
    }
  });
});
