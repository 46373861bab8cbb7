import { MemoryQueue } from '@rxq/memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serve, type Gateway } from '../src/index.js';
import { contents, RawClient } from './helpers.js';
import { until } from '@rxq/core/testing';

let gw: Gateway;
let q: MemoryQueue<unknown>;
let base: string;

beforeEach(async () => {
  q = new MemoryQueue<unknown>();
  gw = await serve({ port: 0, httpPort: 0, queues: { q }, maxBodyBytes: 10_000, token: 'tok' });
  base = `http://127.0.0.1:${gw.httpPort}`;
});
afterEach(async () => {
  await gw.close();
});

const auth = { authorization: 'Bearer tok' };
async function post(path: string, body: unknown, headers: Record<string, string> = auth): Promise<[number, unknown]> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return [res.status, await res.json()];
}

describe('HTTP: the lean server form', () => {
  it('POST /push/, /push_many/, /pull/, /pull_many/ with [args, kwargs] bodies answer [status, result]', async () => {
    expect(await post('/push/', [[{ a: 1 }], {}])).toEqual([200, ['success', null]]);
    expect(await post('/push_many/', [['b', 'c', 'd']])).toEqual([200, ['success', null]]);
    expect(await post('/pull/', [[], {}])).toEqual([200, ['success', { a: 1 }]]);
    expect(await post('/pull_many/', [[5], { timeout: 0 }])).toEqual([200, ['success', ['b', 'c', 'd']]]);
    expect(await post('/pull/', [[0]])).toEqual([200, ['error:timeout', null]]);
    expect(await post('/pull_many', [[null, 0]])).toEqual([200, ['error:timeout', null]]);
    // What a pull answered was written whole: acked.
    await until(() => gw.stats().leases === 0);
    expect(contents(q)).toEqual([]);
  });

  it('400 malformed, 404 unknown action, 500 action or unknown error: and nothing is done', async () => {
    expect(await post('/push/', '[[1], {}')).toEqual([400, ['error:request', 'malformed request']]);
    expect(await post('/push/', Buffer.from([0xff, 0xfe]).toString('latin1') + '[')).toEqual([
      400,
      ['error:request', 'malformed request'],
    ]);
    expect(await post('/push/', { value: 1 })).toEqual([400, ['error:request', 'malformed request']]);
    expect(await post('/teleport/', [[1]])).toEqual([404, ['error:request', 'action not found']]);
    expect(await post('/quit/', [[]])).toEqual([404, ['error:request', 'action not found']]);
    expect(await post('/push/', [[1, 2], {}])).toEqual([
      500,
      ['error:action', 'push() takes 1 positional arguments but 2 were given'],
    ]);
    expect(await post('/push_many/', [5, {}])).toEqual([500, ['error:action', 'args must be a list']]);
    expect(await post('/pull_many/', [['x']])).toEqual([500, ['error:action', 'n must be an integer ≥ 1, or null']]);
    expect(await post('/push/', [[1], { queue: 'nope' }])).toEqual([404, ['error:request', 'queue not found']]);
    expect(q.size).toBe(0);
    q.push('kept');
    expect(await post('/pull/', [[0, 1]])).toEqual([
      500,
      ['error:action', 'pull() takes 1 positional arguments but 2 were given'],
    ]);
    expect(contents(q)).toEqual(['kept']);
  });

  it('a body over maxBodyBytes is 413 and not handled; a missing token is 401', async () => {
    expect(await post('/push/', [['x'.repeat(20_000)]])).toEqual([413, ['error:request', 'body too large']]);
    expect(await post('/push/', [[1]], {})).toEqual([401, ['error:auth', 'authentication required']]);
    expect(await post('/push/', [[1]], { authorization: 'Bearer wrong' })).toEqual([
      401,
      ['error:auth', 'authentication required'],
    ]);
    expect(q.size).toBe(0);
  });

  it('a pull whose client goes away before the answer gives its item back', async () => {
    const controller = new AbortController();
    const pending = fetch(base + '/pull/', {
      method: 'POST',
      headers: auth,
      body: '[[5]]',
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await until(() => gw.stats().pulling === 1);
    controller.abort();
    await pending;
    await until(() => gw.stats().pulling === 0);
    q.push('later');
    expect(contents(q)).toEqual(['later']);
  });
});

describe('HTTP: the JSON API', () => {
  it('publish, long-poll pull with leases, ack, nack with a delay, release', async () => {
    expect(await post('/v1/queues/q/messages', { messages: [1, { two: 2 }, 'three'] })).toEqual([200, { pushed: 3 }]);
    const [, first] = (await post('/v1/queues/q/pull', { max: 2 })) as [
      number,
      { messages: { id: string; value: unknown; attempt: number }[] },
    ];
    expect(first.messages.map((m) => [m.value, m.attempt])).toEqual([
      [1, 1],
      [{ two: 2 }, 1],
    ]);
    const [m1, m2] = first.messages;
    expect(await post('/v1/ack', { ids: [m1!.id] })).toEqual([200, { acked: 1 }]);
    expect(await post('/v1/nack', { ids: [m2!.id], delayMs: 200 })).toEqual([200, { nacked: 1 }]);
    const [, next] = (await post('/v1/queues/q/pull', { max: 5 })) as [
      number,
      { messages: { id: string; value: unknown }[] },
    ];
    expect(next.messages.map((m) => m.value)).toEqual(['three']);
    expect(await post('/v1/release', { ids: [next.messages[0]!.id] })).toEqual([200, { released: 1 }]);
    // A long poll waits for the delayed nack.
    const [, later] = (await post('/v1/queues/q/pull', { max: 5, waitMs: 5_000 })) as [
      number,
      { messages: { value: unknown; attempt: number }[] },
    ];
    expect(later.messages.map((m) => [m.value, m.attempt])).toEqual([['three', 1]]);
    const [, last] = (await post('/v1/queues/q/pull', { max: 5, waitMs: 5_000 })) as [
      number,
      { messages: { value: unknown; attempt: number }[] },
    ];
    expect(last.messages.map((m) => [m.value, m.attempt])).toEqual([[{ two: 2 }, 2]]);
    const res = await fetch(base + '/v1/queues', { headers: auth });
    expect(await res.json()).toEqual({
      queues: [
        { name: 'q', size: 0 },
        { name: 'q.dead-letter', size: 0 },
      ],
    });
  });

  it('a long poll is answered as soon as a message arrives, from a TCP client', async () => {
    const pending = post('/v1/queues/q/pull', { waitMs: 10_000 });
    await until(() => gw.stats().pulling === 1);
    const c = await RawClient.open(gw.port);
    await c.call(['auth', ['tok']]);
    await c.call(['push', ['hello']]);
    const [status, body] = (await pending) as [number, { messages: { value: unknown }[] }];
    expect([status, body.messages.map((m) => m.value)]).toEqual([200, ['hello']]);
    c.kill();
  });

  it('a bad request is answered with its error and never handled', async () => {
    q.push('kept');
    const cases: [string, unknown, number][] = [
      ['/v1/queues/q/messages', { messages: 'nope' }, 400],
      ['/v1/queues/q/messages', { messages: [1], extra: true }, 400],
      ['/v1/queues/q/messages', [1, 2], 400],
      ['/v1/queues/nope/messages', { messages: [1] }, 404],
      ['/v1/queues/q/pull', { max: 0 }, 400],
      ['/v1/queues/q/pull', { max: 1, waitMs: -1 }, 400],
      ['/v1/queues/q/pull', { mx: 1 }, 400],
      ['/v1/ack', { ids: [] }, 400],
      ['/v1/nack', { ids: ['x'], delayMs: 'soon' }, 400],
      ['/v1/nothing', {}, 404],
    ];
    for (const [path, body, status] of cases) {
      const [got, answer] = await post(path, body);
      expect([path, got]).toEqual([path, status]);
      expect(answer).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    expect(contents(q)).toEqual(['kept']);
  });
});
