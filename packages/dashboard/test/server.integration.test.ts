import { request } from 'node:http';
import { publishMany } from '@rxq/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard, type DashboardState } from '../src/index.js';
import { cleanup, REDIS_URL, uniqueName } from './helpers.js';
import { until } from '@rxq/core/testing';

const TOKEN = 'server-test-token';
const stem = uniqueName('server');
const queue = `${stem}:orders`;
let redis: Redis;
let withToken: Dashboard;
let readOnly: Dashboard;

/** A raw request, so that the Host header can be set. */
function raw(url: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await publishMany(redis, `${queue}:dead`, ['{"n":1}']); // a plain element in the dead-letter list
  const options = {
    port: 0,
    pollMs: 200,
    queues: [{ url: REDIS_URL, queue }],
    consumers: ['http://127.0.0.1:9/'], // nothing listens there
  };
  [withToken, readOnly] = await Promise.all([startDashboard({ ...options, token: TOKEN }), startDashboard(options)]);
});

afterAll(async () => {
  await withToken?.close();
  await readOnly?.close();
  await cleanup(redis, stem);
  redis.disconnect();
});

describe('the dashboard server', () => {
  it('serves the page with a strict content security policy, and only to its own host name', async () => {
    const page = await raw(withToken.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await raw(withToken.url, '/app.js')).status).toBe(200);
    // A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing.
    expect((await raw(withToken.url, '/api/state', { host: 'attacker.example' })).status).toBe(421);
    expect((await raw(withToken.url, '/api/state', { host: 'localhost:1234' })).status).toBe(200);
    expect((await raw(withToken.url, '/nothing')).status).toBe(404);
  });

  it('takes actions only with the token, and not at all when read-only', async () => {
    for (const action of ['redrive', 'purge']) {
      expect(
        (await raw(readOnly.url, `/api/queues/0/${action}`, { authorization: `Bearer ${TOKEN}` }, 'POST')).status,
      ).toBe(403);
      expect((await raw(withToken.url, `/api/queues/0/${action}`, {}, 'POST')).status).toBe(401);
      expect(
        (await raw(withToken.url, `/api/queues/0/${action}`, { authorization: 'Bearer wrong-token-x' }, 'POST')).status,
      ).toBe(401);
    }
    expect((await raw(withToken.url, '/api/queues/0/dead-letters?body=1')).status).toBe(401);
    expect(
      (await raw(readOnly.url, '/api/queues/0/dead-letters?body=1', { authorization: `Bearer ${TOKEN}` })).status,
    ).toBe(403);
    expect(await redis.llen(`${queue}:dead`)).toBe(1);
    const listed = JSON.parse((await raw(readOnly.url, '/api/queues/0/dead-letters')).body) as { letters: object[] };
    expect(listed.letters).toHaveLength(1);
    expect(listed.letters[0]).not.toHaveProperty('body');
    const purged = await raw(withToken.url, '/api/queues/0/purge', { authorization: `Bearer ${TOKEN}` }, 'POST');
    expect(purged.status).toBe(200);
    expect(JSON.parse(purged.body)).toEqual({ purged: 1 });
    expect(await redis.llen(`${queue}:dead`)).toBe(0);
    expect((await raw(withToken.url, '/api/queues/7/purge', { authorization: `Bearer ${TOKEN}` }, 'POST')).status).toBe(
      404,
    );
  });

  it('shows a consumer that does not answer as unreachable, beside the queues that do', async () => {
    let state: DashboardState | undefined;
    await until(
      async () => {
        state = JSON.parse((await raw(readOnly.url, '/api/state')).body) as DashboardState;
        return state.consumers[0]?.error != null && state.queues[0]?.stats != null;
      },
      { timeoutMs: 30_000 },
    );
    expect(state!.consumers[0]).toMatchObject({ up: false, address: 'http://127.0.0.1:9/rxq/consumer' });
    expect(state!.queues[0]!.error).toBeNull();
  });

  it('streams the state as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${readOnly.url}events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while ((text.match(/event: update\ndata: .*\n/g) ?? []).length < 3) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the event stream ended before three updates: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    // The whole state first, histories included; then updates with the newest point only.
    const first = JSON.parse(/^event: state\ndata: (.*)\n/.exec(text)![1]!) as DashboardState;
    expect(first.queues[0]!.queue).toBe(queue);
    const updates = [...text.matchAll(/event: update\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!) as DashboardState);
    const points = updates.map((u) => u.queues[0]!.history.at);
    expect(points.every((at) => at.length === 1)).toBe(true);
    expect(points[2]![0]!).toBeGreaterThan(points[1]![0]!);
    expect(updates[2]!.queues[0]!.stats).not.toBeNull();
    controller.abort();
  });
});
