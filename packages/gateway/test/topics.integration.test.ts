import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { silentLogger } from '@rxq/core';
import { MemoryQueue } from '@rxq/memory';
import { listTopics, subscriberOffsets } from '@rxq/postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serve, type Gateway } from '../src/index.js';
import { adminPool, client, type Answer, dropSchema, PG_URL, startCli, uniqueSchema } from './topicHelpers.js';
import { until } from '@rxq/core/testing';

const admin = adminPool();
afterAll(() => admin.end());

let schema: string;
let gw: Gateway;
let api: ReturnType<typeof client>;

beforeEach(async () => {
  schema = uniqueSchema();
  gw = await serve({
    port: 0,
    httpPort: 0,
    token: 'tok',
    maxBodyBytes: 100_000,
    queues: { q: new MemoryQueue<unknown>() },
    postgres: { connection: PG_URL, schema, maxBatch: 100 },
  });
  api = client(`http://127.0.0.1:${gw.httpPort}`);
});
afterEach(async () => {
  await gw.close();
  await dropSchema(admin, schema);
});

const values = (r: [number, Answer]): [number, unknown][] => r[1].messages.map((m) => [m.offset, m.value]);
const state = async () => ({
  topics: await listTopics({ connection: admin, schema }),
  subscribers: await subscriberOffsets({ connection: admin, schema, topic: 't' }),
});

describe('topic routes', { timeout: 30_000 }, () => {
  it('create / list / publish / subscribe / get / ack / unsubscribe / delete', async () => {
    expect(await api('GET', '/v1/topics')).toEqual([200, { topics: [] }]);
    expect(await api('PUT', '/v1/topics/t')).toEqual([201, { topic: 't', created: true }]);
    expect(await api('PUT', '/v1/topics/t')).toEqual([200, { topic: 't', created: false }]);
    expect(await api('POST', '/v1/topics/t/messages', { messages: [{ a: 1 }] })).toEqual([200, { offsets: [1] }]);
    expect(await api('POST', '/v1/topics/t/messages', { messages: ['b', [3]], headers: { k: 'v' } })).toEqual([
      200,
      { offsets: [2, 3] },
    ]);
    expect(await api('PUT', '/v1/topics/t/subscribers/a', { start: 'beginning' })).toEqual([
      201,
      { subscriber: 'a', created: true, committed: 0 },
    ]);
    expect(await api('PUT', '/v1/topics/t/subscribers/b')).toEqual([
      201,
      { subscriber: 'b', created: true, committed: 3 },
    ]);
    expect(await api('GET', '/v1/topics')).toEqual([
      200,
      { topics: [{ name: 't', lastOffset: 3, firstOffset: 1, subscribers: 2 }] },
    ]);

    const got = await api('POST', '/v1/topics/t/subscribers/a/pull', { max: 10 });
    expect(got[0]).toBe(200);
    expect(got[1].committed).toBe(0);
    expect(values(got)).toEqual([
      [1, { a: 1 }],
      [2, 'b'],
      [3, [3]],
    ]);
    expect(got[1].messages[1]?.headers).toEqual({ k: 'v' });
    expect(got[1].messages[0]?.headers).toEqual({});
    expect(Math.abs((got[1].messages[0]?.timestamp ?? 0) - Date.now())).toBeLessThan(60_000);
    // Not acked: read again. `after` reads further on without committing.
    expect(values(await api('POST', '/v1/topics/t/subscribers/a/pull', { max: 2 }))).toEqual([
      [1, { a: 1 }],
      [2, 'b'],
    ]);
    expect(values(await api('POST', '/v1/topics/t/subscribers/a/pull', { max: 10, after: 2 }))).toEqual([[3, [3]]]);
    expect(values(await api('POST', '/v1/topics/t/subscribers/b/pull', { max: 10 }))).toEqual([]);

    expect(await api('POST', '/v1/topics/t/subscribers/a/ack', { offset: 2 })).toEqual([200, { committed: 2 }]);
    expect(values(await api('POST', '/v1/topics/t/subscribers/a/pull', { max: 10 }))).toEqual([[3, [3]]]);
    // The commit never moves back, and never past the topic's last offset.
    expect(await api('POST', '/v1/topics/t/subscribers/a/ack', { offset: 1 })).toEqual([200, { committed: 2 }]);
    const past = await api('POST', '/v1/topics/t/subscribers/a/ack', { offset: 4 });
    expect(past[0]).toBe(400);
    expect(await api('GET', '/v1/topics/t')).toEqual([
      200,
      {
        name: 't',
        lastOffset: 3,
        firstOffset: 1,
        subscribers: [
          { name: 'a', committed: 2, lag: 1 },
          { name: 'b', committed: 3, lag: 0 },
        ],
      },
    ]);
    expect(await api('GET', '/v1/topics/t/subscribers')).toEqual([
      200,
      {
        subscribers: [
          { name: 'a', committed: 2, lag: 1 },
          { name: 'b', committed: 3, lag: 0 },
        ],
      },
    ]);

    expect(await api('DELETE', '/v1/topics/t/subscribers/b')).toEqual([200, { deleted: true }]);
    expect((await api('DELETE', '/v1/topics/t/subscribers/b'))[0]).toBe(404);
    expect((await state()).subscribers.map((s) => s.subscriber)).toEqual(['a']);
    expect(await api('DELETE', '/v1/topics/t')).toEqual([200, { deleted: true }]);
    expect((await api('GET', '/v1/topics/t'))[0]).toBe(404);
    expect(await state()).toEqual({ topics: [], subscribers: [] });
  });

  it('an unknown topic or subscriber is 404, and nothing is created', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/topics/nope'],
      ['DELETE', '/v1/topics/nope'],
      ['GET', '/v1/topics/nope/subscribers'],
      ['POST', '/v1/topics/nope/messages', { messages: [1] }],
      ['PUT', '/v1/topics/nope/subscribers/s'],
      ['DELETE', '/v1/topics/nope/subscribers/s'],
      ['POST', '/v1/topics/nope/subscribers/s/pull', {}],
      ['POST', '/v1/topics/nope/subscribers/s/ack', { offset: 1 }],
      ['POST', '/v1/topics/nope/subscribers/s/reset', { to: 'beginning' }],
      ['POST', '/v1/topics/nope/reset', { to: 'beginning' }],
    ];
    for (const [method, path, body] of routes) {
      const [status, answer] = await api(method, path, body);
      expect([method, path, status, answer.error.code]).toEqual([method, path, 404, 'NOT_FOUND']);
    }
    await api('PUT', '/v1/topics/t');
    for (const [method, path, body] of routes.slice(5).map(([m, p, b]) => [m, p.replace('nope', 't'), b] as const)) {
      const [status] = await api(method, path, body);
      if (path.endsWith('/reset') && !path.includes('subscribers'))
        expect(status).toBe(200); // no subscribers: a no-op
      else expect([method, path, status]).toEqual([method, path, 404]);
    }
    expect(await state()).toEqual({
      topics: [{ name: 't', lastOffset: '0', firstOffset: null, subscribers: 0 }],
      subscribers: [],
    });
    expect((await api('POST', '/v1/topics/t/nonsense', {}))[0]).toBe(404);
    // Names are path segments, percent-encoded: any text; a malformed encoding is a 400.
    const odd = 'a b/c ☃';
    expect(await api('PUT', `/v1/topics/${encodeURIComponent(odd)}`)).toEqual([201, { topic: odd, created: true }]);
    expect((await listTopics({ connection: admin, schema })).map((x) => x.name)).toEqual([odd, 't']);
    expect((await api('PUT', '/v1/topics/%E0%A4%A'))[0]).toBe(400);
    // A gateway without `postgres` serves no topics.
    const plain = await serve({ port: 0, httpPort: 0 });
    try {
      const [status, answer] = await client(`http://127.0.0.1:${plain.httpPort}`)('GET', '/v1/topics');
      expect([status, answer.error.code]).toEqual([404, 'NOT_FOUND']);
    } finally {
      await plain.close();
    }
  });

  it('a bad body is 400 and nothing is done; a wrong method 405; a wrong or missing token 401', async () => {
    await api('PUT', '/v1/topics/t');
    await api('POST', '/v1/topics/t/messages', { messages: ['x', 'y'] });
    await api('PUT', '/v1/topics/t/subscribers/s', { start: 'beginning' });
    const before = await state();
    const bad: [string, string, unknown][] = [
      ['POST', '/v1/topics/t/messages', '{"messages": [1'],
      ['POST', '/v1/topics/t/messages', { messages: [] }],
      ['POST', '/v1/topics/t/messages', { messages: 1 }],
      ['POST', '/v1/topics/t/messages', { messages: [1], headers: { k: 1 } }],
      ['POST', '/v1/topics/t/messages', { messages: [1], extra: true }],
      ['POST', '/v1/topics/t/messages', [1, 2]],
      ['PUT', '/v1/topics/t2', { unknown: 1 }],
      ['PUT', '/v1/topics/t/subscribers/s2', { start: 'middle' }],
      ['POST', '/v1/topics/t/subscribers/s/pull', { max: 0 }],
      ['POST', '/v1/topics/t/subscribers/s/pull', { max: 101 }],
      ['POST', '/v1/topics/t/subscribers/s/pull', { waitMs: -1 }],
      ['POST', '/v1/topics/t/subscribers/s/pull', { after: 'x' }],
      ['POST', '/v1/topics/t/subscribers/s/ack', {}],
      ['POST', '/v1/topics/t/subscribers/s/ack', { offset: 0 }],
      ['POST', '/v1/topics/t/subscribers/s/ack', { offset: '2' }],
      ['POST', '/v1/topics/t/subscribers/s/ack', { offset: 1.5 }],
      ['POST', '/v1/topics/t/subscribers/s/ack', { offset: 3 }],
      ['POST', '/v1/topics/t/subscribers/s/reset', {}],
      ['POST', '/v1/topics/t/subscribers/s/reset', { to: 'start' }],
      ['POST', '/v1/topics/t/reset', { to: { offset: 0 } }],
      ['POST', '/v1/topics/t/reset', { to: { timestamp: 'yesterday' } }],
      ['POST', '/v1/topics/t/reset', { to: { offset: 1, timestamp: 0 } }],
      ['DELETE', '/v1/topics/t/subscribers/s', { please: true }],
      ['DELETE', '/v1/topics/t', { please: true }],
    ];
    for (const [method, path, body] of bad) {
      const [status, answer] = await api(method, path, body);
      expect([method, path, body, status, answer.error.code]).toEqual([method, path, body, 400, 'BAD_REQUEST']);
    }
    expect((await api('POST', '/v1/topics/t/messages', { messages: ['x'.repeat(200_000)] }))[0]).toBe(413);
    for (const [method, path] of [
      ['POST', '/v1/topics'],
      ['GET', '/v1/topics/t/messages'],
      ['GET', '/v1/topics/t/subscribers/s/pull'],
      ['PATCH', '/v1/topics/t'],
    ] as const)
      expect([path, (await api(method, path))[0]]).toEqual([path, 405]);
    const wrong = client(`http://127.0.0.1:${gw.httpPort}`, 'wrong');
    for (const [method, path, body] of [
      ['POST', '/v1/topics/t/messages', { messages: [1] }],
      ['PUT', '/v1/topics/t3', undefined],
      ['DELETE', '/v1/topics/t', undefined],
      ['POST', '/v1/topics/t/subscribers/s/ack', { offset: 2 }],
      ['POST', '/v1/topics/t/reset', { to: 'end' }],
    ] as const) {
      const [status, answer] = await wrong(method, path, body);
      expect([path, status, answer.error.code]).toEqual([path, 401, 'UNAUTHORISED']);
    }
    const none = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/topics`);
    expect(none.status).toBe(401);
    expect(await state()).toEqual(before);
    expect(values(await api('POST', '/v1/topics/t/subscribers/s/pull', { max: 10 }))).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
  });

  it('two subscribers each see every message, in order, with long polls', async () => {
    await api('PUT', '/v1/topics/t');
    await api('PUT', '/v1/topics/t/subscribers/a');
    await api('PUT', '/v1/topics/t/subscribers/b');
    const consume = async (name: string): Promise<unknown[]> => {
      const seen: unknown[] = [];
      const deadline = Date.now() + 20_000;
      while (seen.length < 60) {
        if (Date.now() > deadline) throw new Error(`${name}: ${seen.length} of 60 messages within 20 s`);
        const [status, r] = await api('POST', `/v1/topics/t/subscribers/${name}/pull`, { max: 7, waitMs: 5_000 });
        expect(status).toBe(200);
        const ms = r.messages as { offset: number; value: unknown }[];
        if (ms.length === 0) continue;
        seen.push(...ms.map((m) => m.value));
        expect((await api('POST', `/v1/topics/t/subscribers/${name}/ack`, { offset: ms.at(-1)?.offset }))[0]).toBe(200);
      }
      return seen;
    };
    const consumers = Promise.all([consume('a'), consume('b')]);
    for (let i = 0; i < 60; i += 6)
      await api('POST', '/v1/topics/t/messages', { messages: Array.from({ length: 6 }, (_, j) => i + j) });
    const expected = Array.from({ length: 60 }, (_, i) => i);
    expect(await consumers).toEqual([expected, expected]);
    expect((await state()).subscribers.map((s) => [s.subscriber, s.committed, s.lag])).toEqual([
      ['a', '60', 0],
      ['b', '60', 0],
    ]);
  });

  it('a waiting pull is woken by a publish from another producer (NOTIFY), not by its poll', async () => {
    await gw.close();
    gw = await serve({ port: 0, httpPort: 0, token: 'tok', postgres: { connection: PG_URL, schema, pollMs: 600_000 } });
    api = client(`http://127.0.0.1:${gw.httpPort}`);
    await api('PUT', '/v1/topics/t');
    await api('PUT', '/v1/topics/t/subscribers/s');
    const pull = api('POST', '/v1/topics/t/subscribers/s/pull', { max: 5, waitMs: 20_000 });
    // Published by SQL from another connection, as any language could.
    await admin.query(`SELECT "${schema}".publish_topic('t', convert_to('{"from":"sql"}', 'UTF8'), '{"h":"1"}')`);
    const [status, r] = await pull;
    expect(status).toBe(200);
    expect(r.messages).toMatchObject([{ offset: 1, value: { from: 'sql' }, headers: { h: '1' } }]);
  });

  it("serves from the app's own pg Pool and never ends it; 503 while PostgreSQL cannot be reached, then serves again", async () => {
    // A TCP proxy to PostgreSQL that the test can cut: an outage of the gateway's database only.
    const sockets = new Set<Socket>();
    const proxy = createServer((inbound) => {
      const outbound = connect(5432, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const port = (proxy.address() as AddressInfo).port;
    const pool = new pg.Pool({
      connectionString: PG_URL.replace(':5432/', `:${port}/`),
      max: 3,
      application_name: 'rxq-gw-proxied',
    });
    pool.on('error', () => undefined);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_: object, message: string) => void warnings.push(message) };
    const own = await serve({ port: 0, httpPort: 0, logger, postgres: { connection: pool, schema, pollMs: 100 } });
    const listening = async (): Promise<number> =>
      (
        await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN "rxq_${schema}"' AND state = 'idle' AND application_name = 'rxq-gw-proxied'`,
        )
      ).rows[0]?.n ?? 0;
    const call = client(`http://127.0.0.1:${own.httpPort}`);
    try {
      expect(await call('PUT', '/v1/topics/p')).toEqual([201, { topic: 'p', created: true }]);
      await until(async () => (await listening()) === 1);
      proxy.close();
      for (const s of sockets) s.destroy();
      const [status, answer] = await call('POST', '/v1/topics/p/messages', { messages: ['lost?'] });
      expect([status, answer.error.code]).toEqual([503, 'CONNECTION_LOST']);
      expect(answer.error.message).not.toContain('postgres://');
      // The LISTEN connection was lost, and trying it again failed while the database was away.
      await until(() => warnings.includes('could not LISTEN for topics yet; polling'));
      expect(warnings).toContain('the topic LISTEN connection failed; polling until it is back');
      await until(async () => (await listening()) === 0);
      proxy.listen(port, '127.0.0.1');
      await once(proxy, 'listening');
      await until(async () => (await listening()) === 1);
      expect(await call('POST', '/v1/topics/p/messages', { messages: ['kept'] })).toEqual([200, { offsets: [1] }]);
    } finally {
      await own.close();
    }
    // Closed: the app's pool is still the app's, and works.
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
    proxy.close();
    for (const s of sockets) s.destroy();
  });

  it(
    'a graceful close ends a waiting pull at once (it holds nothing), and the next gateway serves the message',
    { timeout: 10_000 },
    async () => {
      await api('PUT', '/v1/topics/t');
      await api('PUT', '/v1/topics/t/subscribers/s');
      const pull = api('POST', '/v1/topics/t/subscribers/s/pull', { waitMs: 25_000 }).then(
        () => 'answered',
        () => 'cut',
      );
      await until(async () => (await admin.query(`SELECT 1 FROM "${schema}".subscribers`)).rowCount === 1);
      await gw.close();
      expect(await pull).toBe('cut');
      gw = await serve({ port: 0, httpPort: 0, token: 'tok', postgres: { connection: PG_URL, schema } });
      api = client(`http://127.0.0.1:${gw.httpPort}`);
      await api('POST', '/v1/topics/t/messages', { messages: ['after'] });
      expect(values(await api('POST', '/v1/topics/t/subscribers/s/pull', { waitMs: 5_000 }))).toEqual([[1, 'after']]);
    },
  );

  it('a body that is not JSON comes back as its bytes in base64', async () => {
    await api('PUT', '/v1/topics/t');
    await api('PUT', '/v1/topics/t/subscribers/s', { start: 'beginning' });
    await admin.query(`SELECT "${schema}".publish_topic('t', '\\xff00'::bytea)`);
    const [, r] = await api('POST', '/v1/topics/t/subscribers/s/pull', {});
    expect(r.messages).toMatchObject([{ offset: 1, payload: Buffer.from([0xff, 0]).toString('base64') }]);
    expect(r.messages[0]).not.toHaveProperty('value');
  });

  it('reset replays: one subscriber to an offset or a time, every subscriber to the beginning or the end', async () => {
    await api('PUT', '/v1/topics/t');
    await api('PUT', '/v1/topics/t/subscribers/a');
    await api('PUT', '/v1/topics/t/subscribers/b');
    await api('POST', '/v1/topics/t/messages', { messages: [1] });
    // The database's clock past offset 1's millisecond, so that offset 2 has a millisecond of its own.
    const later = `SELECT date_trunc('milliseconds', clock_timestamp()) > created_at AS later
      FROM "${schema}".messages WHERE topic = 't' AND "offset" = 1`;
    await until(async () => ((await admin.query<{ later: boolean }>(later)).rows[0] as { later: boolean }).later);
    await api('POST', '/v1/topics/t/messages', { messages: [2, 3, 4] });
    for (const s of ['a', 'b']) await api('POST', `/v1/topics/t/subscribers/${s}/ack`, { offset: 4 });
    const pulled = async (s: string) => values(await api('POST', `/v1/topics/t/subscribers/${s}/pull`, { max: 10 }));
    expect(await pulled('a')).toEqual([]);

    expect(await api('POST', '/v1/topics/t/subscribers/a/reset', { to: { offset: 3 } })).toEqual([
      200,
      { next: 3, subscribers: 1 },
    ]);
    expect(await pulled('a')).toEqual([
      [3, 3],
      [4, 4],
    ]);
    expect(await pulled('b')).toEqual([]);

    const { rows } = await admin.query<{ at: Date }>(
      `SELECT date_trunc('milliseconds', created_at) AS at FROM "${schema}".messages WHERE topic = 't' AND "offset" = 2`,
    );
    const at = (rows[0] as { at: Date }).at.toISOString();
    expect((await api('POST', '/v1/topics/t/subscribers/b/reset', { to: { timestamp: at } }))[1]).toEqual({
      next: 2,
      subscribers: 1,
    });
    expect((await pulled('b')).map(([o]) => o)).toEqual([2, 3, 4]);

    expect(await api('POST', '/v1/topics/t/reset', { to: 'beginning' })).toEqual([200, { next: 1, subscribers: 2 }]);
    expect((await pulled('a')).map(([o]) => o)).toEqual([1, 2, 3, 4]);
    expect((await pulled('b')).map(([o]) => o)).toEqual([1, 2, 3, 4]);
    expect(await api('POST', '/v1/topics/t/reset', { to: 'end' })).toEqual([200, { next: 5, subscribers: 2 }]);
    expect(await pulled('a')).toEqual([]);
    await api('POST', '/v1/topics/t/messages', { messages: [5] });
    expect(await pulled('b')).toEqual([[5, 5]]);
  });

  it('a Python client with only urllib and json: publish, get, ack', async () => {
    const script = fileURLToPath(new URL('./fixtures/topic_client.py', import.meta.url));
    const { stdout } = await promisify(execFile)('python3', [script, `http://127.0.0.1:${gw.httpPort}`, 'tok', 'py']);
    expect(JSON.parse(stdout)).toEqual({
      create: [201, { topic: 'py', created: true }],
      subscribe: [201, { subscriber: 'py', created: true, committed: 0 }],
      publish: [200, { offsets: [1, 2] }],
      get: [
        200,
        [
          [1, { n: 1, text: 'naïve ☃' }, { lang: 'python' }],
          [2, 'two', { lang: 'python' }],
        ],
      ],
      ack: [200, { committed: 2 }],
      get_after_ack: [200, { committed: 2, messages: [] }],
      bad_token: 401,
    });
    expect(
      (await subscriberOffsets({ connection: admin, schema, topic: 'py' })).map((s) => [s.subscriber, s.committed]),
    ).toEqual([['py', '2']]);
  });
});

describe('rxq-gateway --postgres', { timeout: 30_000 }, () => {
  it('an un-acked message is delivered again after the gateway is killed and started again (at-least-once)', async () => {
    const args = ['--postgres', PG_URL, '--postgres-schema', schema];
    const env = { RXQ_GATEWAY_TOKEN: 'secret' };
    let { child, httpPort } = await startCli(args, env);
    let cli = client(`http://127.0.0.1:${httpPort}`, 'secret');
    await cli('PUT', '/v1/topics/orders');
    await cli('PUT', '/v1/topics/orders/subscribers/billing');
    await cli('POST', '/v1/topics/orders/messages', { messages: ['o1', 'o2', 'o3'] });
    expect(values(await cli('POST', '/v1/topics/orders/subscribers/billing/pull', { max: 3 }))).toEqual([
      [1, 'o1'],
      [2, 'o2'],
      [3, 'o3'],
    ]);
    await cli('POST', '/v1/topics/orders/subscribers/billing/ack', { offset: 1 });
    child.kill('SIGKILL');
    await once(child, 'exit');

    ({ child, httpPort } = await startCli(args, env));
    cli = client(`http://127.0.0.1:${httpPort}`, 'secret');
    try {
      expect(values(await cli('POST', '/v1/topics/orders/subscribers/billing/pull', { max: 3 }))).toEqual([
        [2, 'o2'],
        [3, 'o3'],
      ]);
      await cli('POST', '/v1/topics/orders/subscribers/billing/ack', { offset: 3 });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    ({ child, httpPort } = await startCli(args, env));
    cli = client(`http://127.0.0.1:${httpPort}`, 'secret');
    try {
      expect(await cli('POST', '/v1/topics/orders/subscribers/billing/pull', { max: 3 })).toEqual([
        200,
        { committed: 3, messages: [] },
      ]);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
