import { MemoryQueue } from '@rxq/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Gateway } from '../src/index.js';
import { contents, RawClient } from './helpers.js';
import { until } from '@rxq/core/testing';

let gw: Gateway | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.kill();
  await gw?.close();
  gw = undefined;
});

describe('many clients', () => {
  it('serves 1,000 concurrent connections (the default limit is 1,024): every value pushed is pulled once', async () => {
    const q = new MemoryQueue<unknown>();
    gw = await serve({ port: 0, queues: { q } });
    const port = gw.port;
    const all = await Promise.all(Array.from({ length: 1_000 }, () => RawClient.open(port)));
    clients.push(...all);
    await until(() => gw!.stats().connections === 1_000, { what: '1,000 connections' });
    // Every connection pushes its own value and pulls one (waiting if need be), all at once.
    const replies = await Promise.all(
      all.map(async (c, i) => {
        expect(await c.call(['push', [{ from: i }]])).toEqual(['success', null]);
        return c.call(['pull']);
      }),
    );
    const pulled = replies.map((r) => (r as [string, { from: number }])[1].from).sort((a, b) => a - b);
    expect(pulled).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    // Each connection's next request acks what it pulled.
    await Promise.all(all.map((c) => c.call(['size'])));
    expect(gw.stats()).toMatchObject({ connections: 1_000, leases: 0 });
    expect(contents(q)).toEqual([]);
  });

  it('a client that never finishes its line does not slow the others down', async () => {
    const q = new MemoryQueue<unknown>();
    gw = await serve({ port: 0, queues: { q } });
    const slow = await RawClient.open(gw.port);
    clients.push(slow);
    const fast = await RawClient.open(gw.port);
    clients.push(fast);
    slow.send('["push", ["never ends');
    // While the slow line dribbles a byte at a time, the fast client makes 500 round trips.
    let dribbling = true;
    const dribble = (async () => {
      while (dribbling) {
        slow.send('.');
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let i = 0; i < 250; i++) {
        expect(await fast.call(['push', [i]])).toEqual(['success', null]);
        expect(await fast.call(['pull'])).toEqual(['success', i]);
      }
      expect(slow.isClosed).toBe(false);
      expect(slow.pending).toBe(0);
    } finally {
      dribbling = false;
      await dribble;
    }
    // The slow line's request, finished at last, is served too.
    slow.send('"]]\r\n');
    expect(await slow.next()).toEqual(['success', null]);
    expect((contents(q)[0] as string).startsWith('never ends...')).toBe(true);
  });
});
