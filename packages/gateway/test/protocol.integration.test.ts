import { MemoryQueue } from '@rxq/memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serve, type Gateway } from '../src/index.js';
import { contents, RawClient } from './helpers.js';

let gw: Gateway;
let q: MemoryQueue<unknown>;
let other: MemoryQueue<unknown>;
const clients: RawClient[] = [];
const open = async (): Promise<RawClient> => {
  const c = await RawClient.open(gw.port);
  clients.push(c);
  return c;
};

beforeEach(async () => {
  q = new MemoryQueue<unknown>();
  other = new MemoryQueue<unknown>();
  gw = await serve({ port: 0, queues: { q, other } });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.kill();
  await gw.close();
});

describe('the lean queue server protocol', () => {
  it('push, push_many, pull and pull_many carry any JSON value, in order', async () => {
    const c = await open();
    const values = [0, '', null, false, 1.5, 'ü ✓ \u0000', [1, [2]], { a: { b: null } }, -1e300];
    expect(await c.call(['push', [values[0]]])).toEqual(['success', null]);
    expect(await c.call(['push_many', values.slice(1)])).toEqual(['success', null]);
    expect(await c.call(['pull'])).toEqual(['success', 0]);
    expect(await c.call(['pull_many', [values.length - 1]])).toEqual(['success', values.slice(1)]);
    expect(await c.call(['pull', [0]])).toEqual(['error:timeout', null]);
  });

  it('takes keyword arguments, a bare \\n, and ignores empty lines', async () => {
    const c = await open();
    c.send('\r\n\r\n   \r\n["push_many", ["a", "b"], {}]\n');
    expect(await c.next()).toEqual(['success', null]);
    expect(await c.call(['pull_many', [], { n: 5, timeout: 0 }])).toEqual(['success', ['a', 'b']]);
    expect(await c.call(['pull', [], { timeout: 0 }])).toEqual(['error:timeout', null]);
  });

  it('pull_many without a timeout waits until it has n', async () => {
    const c = await open();
    const producer = await open();
    c.send(['pull_many', [3]]);
    await producer.call(['push_many', [1, 2]]);
    expect(c.pending).toBe(0);
    await producer.call(['push_many', [3, 4]]);
    expect(await c.next()).toEqual(['success', [1, 2, 3]]);
    expect(contents(q)).toEqual([4]);
  });

  it('pull_many with a timeout gives each pull that timeout, returns what it has at the first timeout', async () => {
    const c = await open();
    const producer = await open();
    // Two items arrive 150 ms apart; each pull waits up to 400 ms, so both are collected, then the
    // third pull times out and the two are returned.
    c.send(['pull_many', [5, 0.4]]);
    await producer.call(['push', ['x']]);
    await new Promise((r) => setTimeout(r, 150));
    expect(c.pending).toBe(0);
    await producer.call(['push', ['y']]);
    expect(await c.next()).toEqual(['success', ['x', 'y']]);
    // Nothing at all: error:timeout.
    expect(await c.call(['pull_many', [5, 0.05]])).toEqual(['error:timeout', null]);
  });

  it('pull_many(None, timeout=0) drains; on an empty queue it answers error:timeout at once', async () => {
    const c = await open();
    q.pushMany(Array.from({ length: 2_500 }, (_, i) => i));
    expect(await c.call(['pull_many', [null, 0]])).toEqual(['success', Array.from({ length: 2_500 }, (_, i) => i)]);
    expect(await c.call(['pull_many', [null, 0]])).toEqual(['error:timeout', null]);
    expect(await c.call(['pull', [0]])).toEqual(['error:timeout', null]);
  });

  it('answers pipelined requests one at a time, in order', async () => {
    const c = await open();
    const requests = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? ['push', [i]] : ['pull', [0]]));
    c.send(requests.map((r) => JSON.stringify(r) + '\r\n').join(''));
    const replies = [];
    for (let i = 0; i < 50; i++) replies.push(await c.next());
    expect(replies).toEqual(requests.map((_, i) => (i % 2 === 0 ? ['success', null] : ['success', i - 1])));
  });

  it('quit, exit and shutdown close the connection with no reply', async () => {
    for (const action of ['quit', 'exit', 'shutdown']) {
      const c = await open();
      c.send([action]);
      await c.closed;
      expect(c.pending).toBe(0);
    }
    // The server itself goes on.
    const c = await open();
    expect(await c.call(['push', [1]])).toEqual(['success', null]);
  });

  it('the queue keyword argument picks a served queue; an unknown one keeps the connection', async () => {
    const c = await open();
    expect(await c.call(['push', ['o'], { queue: 'other' }])).toEqual(['success', null]);
    expect(contents(other)).toEqual(['o']);
    expect(contents(q)).toEqual([]);
    expect(await c.call(['push', ['z'], { queue: 'nope' }])).toEqual(['error:request', 'queue not found']);
    expect(await c.call(['pull', [0], { queue: 'other' }])).toEqual(['success', 'o']);
  });

  it('refuses a connection over maxConnections with error:unknown, and takes one again when a slot frees', async () => {
    const small = await serve({ port: 0, maxConnections: 2, queues: { q: new MemoryQueue<unknown>() } });
    try {
      const a = await RawClient.open(small.port);
      const b = await RawClient.open(small.port);
      expect(await a.call(['push', [1]])).toEqual(['success', null]);
      expect(await b.call(['push', [2]])).toEqual(['success', null]);
      const c = await RawClient.open(small.port);
      expect(await c.next()).toEqual(['error:unknown', 'too many connections']);
      await c.closed;
      a.send(['quit']);
      await a.closed;
      let d: RawClient | undefined;
      for (let i = 0; i < 50 && d === undefined; i++) {
        const candidate = await RawClient.open(small.port);
        const r = await candidate.call(['pull', [0]]);
        if (Array.isArray(r) && r[0] === 'success') d = candidate;
        else await new Promise((x) => setTimeout(x, 20));
      }
      expect(d).toBeDefined();
      b.kill();
      d?.kill();
    } finally {
      await small.close();
    }
  });
});
