import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MemoryQueue } from '@rxq/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Gateway } from '../src/index.js';
import { contents, RawClient } from './helpers.js';
import { until } from '@rxq/core/testing';

const script = fileURLToPath(new URL('./fixtures/pull_and_wait.py', import.meta.url));
let gw: Gateway | undefined;
const clients: RawClient[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.kill();
  for (const p of children.splice(0)) p.kill('SIGKILL');
  await gw?.close();
  gw = undefined;
});

async function start(leaseMs?: number): Promise<{ q: MemoryQueue<unknown>; dead: MemoryQueue<unknown>; port: number }> {
  const q = new MemoryQueue<unknown>();
  const dead = new MemoryQueue<unknown>();
  gw = await serve({ port: 0, queues: { q, 'q.dead-letter': dead }, ...(leaseMs ? { leaseMs } : {}) });
  return { q, dead, port: gw.port };
}
const open = async (port: number): Promise<RawClient> => {
  const c = await RawClient.open(port);
  clients.push(c);
  return c;
};

/** A Python client that pulls; resolves with its output lines as they come. */
function pythonPull(port: number, timeout: string): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn('python3', [script, String(port), timeout], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines };
}

/** The attempt of the next item, seen through an explicit lease (then released unchanged). */
async function attemptOfNext(port: number): Promise<[unknown, number]> {
  const c = await open(port);
  const [, item] = (await c.call(['lease', [1]])) as [string, { id: string; value: unknown; attempt: number }];
  await c.call(['release', [item.id]]);
  return [item.value, item.attempt];
}

describe('leases: plain clients of the old protocol', () => {
  it('what a pull handed out is acked when the next request arrives', async () => {
    const { q, port } = await start();
    q.pushMany(['a', 'b']);
    const c = await open(port);
    expect(await c.call(['pull'])).toEqual(['success', 'a']);
    expect(gw!.stats().leases).toBe(1);
    expect(await c.call(['size'])).toEqual(['success', 1]);
    expect(gw!.stats().leases).toBe(0);
    c.kill();
    await until(() => gw!.stats().connections === 0);
    expect(contents(q)).toEqual(['b']);
  });

  it('a client gone before its next request gives back what it pulled, with attempt + 1, at the front', async () => {
    const { q, port } = await start();
    q.pushMany(['a', 'b', 'c', 'd']);
    const c = await open(port);
    expect(await c.call(['pull_many', [3, 0]])).toEqual(['success', ['a', 'b', 'c']]);
    c.kill();
    await until(() => q.size === 4, { what: 'items back', timeoutMs: 5_000 });
    expect(await attemptOfNext(port)).toEqual(['a', 2]);
    expect(contents(q)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a client killed (SIGKILL) with a pull in flight loses nothing', async () => {
    const { q, port } = await start();
    const { child, lines } = pythonPull(port, 'none');
    expect((await lines.next()).value).toBe('sent');
    await until(() => gw!.stats().pulling === 1, { what: 'the pull waiting', timeoutMs: 5_000 });
    child.kill('SIGKILL');
    // Pushed at once, before the gateway notices: the waiting pull takes it and writes it to a dead socket.
    q.push('precious');
    await once(child, 'exit');
    await until(() => gw!.stats().connections === 0 && gw!.stats().leases === 0 && q.size === 1, {
      what: 'item back',
      timeoutMs: 5_000,
    });
    expect(contents(q)).toEqual(['precious']);
  });

  it('a client killed after its pull was answered, before its next request, loses nothing', async () => {
    const { q, port } = await start();
    q.push({ order: 7 });
    const { child, lines } = pythonPull(port, 'none');
    expect((await lines.next()).value).toBe('sent');
    expect(JSON.parse((await lines.next()).value as string)).toEqual(['success', { order: 7 }]);
    child.kill('SIGKILL');
    await until(() => q.size === 1, { what: 'item back', timeoutMs: 5_000 });
    expect(await attemptOfNext(port)).toEqual([{ order: 7 }, 2]);
  });

  it('a lease that times out goes back with attempt + 1', async () => {
    const { q, port } = await start(200);
    q.push('slow');
    const c = await open(port);
    expect(await c.call(['pull'])).toEqual(['success', 'slow']);
    await until(() => q.size === 1, { what: 'lease timed out', timeoutMs: 5_000 });
    // The client's next request acks nothing: its lease had ended.
    expect(await c.call(['size'])).toEqual(['success', 1]);
    expect(await attemptOfNext(port)).toEqual(['slow', 2]);
  });
});

describe('leases: explicit ack and nack', () => {
  it('lease_many, then ack, nack with a delay, release and dead_letter by id', async () => {
    const { q, dead, port } = await start();
    q.pushMany(['ack', 'nack', 'release', 'dead', 'rest']);
    const c = await open(port);
    const [status, items] = (await c.call(['lease_many', [4, 0]])) as [
      string,
      { id: string; value: string; attempt: number }[],
    ];
    expect(status).toBe('success');
    expect(items.map((i) => [i.value, i.attempt])).toEqual([
      ['ack', 1],
      ['nack', 1],
      ['release', 1],
      ['dead', 1],
    ]);
    const id = (v: string): string => items.find((i) => i.value === v)!.id;
    // The next request does not ack explicit leases.
    expect(await c.call(['size'])).toEqual(['success', 1]);
    expect(gw!.stats().leases).toBe(4);
    expect(await c.call(['ack', [id('ack'), 'no-such-lease']])).toEqual(['success', 1]);
    expect(await c.call(['ack', [id('ack')]])).toEqual(['success', 0]);
    expect(await c.call(['nack', [id('nack')], { delay_ms: 300, headers: { 'x-why': 'later' } }])).toEqual([
      'success',
      1,
    ]);
    expect(await c.call(['release', [id('release')]])).toEqual(['success', 1]);
    expect(await c.call(['dead_letter', [id('dead'), 'rejected', { name: 'Error', message: 'no' }]])).toEqual([
      'success',
      true,
    ]);
    expect(contents(q)).toEqual(['release', 'rest']);
    await until(() => q.size === 3, { what: 'nack delay', timeoutMs: 5_000 });
    const [, again] = (await c.call(['lease_many', [3, 0]])) as [
      string,
      { value: string; attempt: number; headers?: object }[],
    ];
    expect(again.map((i) => [i.value, i.attempt, i.headers])).toEqual([
      ['release', 1, undefined],
      ['rest', 1, undefined],
      ['nack', 2, { 'x-why': 'later' }],
    ]);
    expect(contents(dead)).toEqual([
      {
        value: 'dead',
        reason: 'rejected',
        error: { name: 'Error', message: 'no' },
        attempt: 1,
        headers: {},
        at: expect.any(Number),
      },
    ]);
  });

  it('an explicit lease ends after its lease_ms, and a late ack then does nothing', async () => {
    const { q, port } = await start();
    q.push('short');
    const c = await open(port);
    const [, item] = (await c.call(['lease', [0], { lease_ms: 100 }])) as [string, { id: string }];
    await until(() => q.size === 1, { what: 'lease timed out', timeoutMs: 5_000 });
    expect(await c.call(['ack', [item.id]])).toEqual(['success', 0]);
    expect(await c.call(['lease', [0]])).toMatchObject(['success', { value: 'short', attempt: 2 }]);
  });

  it('explicit leases return when their connection goes', async () => {
    const { q, port } = await start();
    q.pushMany([1, 2]);
    const c = await open(port);
    expect(await c.call(['lease', [0]])).toMatchObject(['success', { value: 1, attempt: 1 }]);
    c.kill();
    await until(() => q.size === 2);
    expect(await attemptOfNext(port)).toEqual([1, 2]);
  });
});

describe('graceful shutdown', () => {
  it('returns every lease: old pulls, explicit leases, HTTP leases and delayed nacks; a waiting pull takes nothing', async () => {
    const q = new MemoryQueue<unknown>();
    q.pushMany(Array.from({ length: 10 }, (_, i) => i));
    const g = await serve({ port: 0, httpPort: 0, queues: { q } });
    gw = g;
    const a = await open(g.port);
    expect(await a.call(['pull_many', [3]])).toEqual(['success', [0, 1, 2]]);
    const b = await open(g.port);
    const [, leased] = (await b.call(['lease_many', [3]])) as [string, { id: string }[]];
    expect(await b.call(['nack', [leased[0]!.id], { delay_ms: 60_000 }])).toEqual(['success', 1]);
    const res = await fetch(`http://127.0.0.1:${g.httpPort}/v1/queues/q/pull`, {
      method: 'POST',
      body: JSON.stringify({ max: 2 }),
    });
    expect(((await res.json()) as { messages: unknown[] }).messages).toHaveLength(2);
    // Everything but the two left is out; one more client waits on the empty queue.
    const c = await open(g.port);
    expect(await c.call(['pull_many', [2]])).toEqual(['success', [8, 9]]);
    const waiting = await open(g.port);
    waiting.send(['pull']);
    await until(() => g.stats().pulling === 1);
    expect(q.size).toBe(0);
    const returned = await g.close();
    gw = undefined;
    expect(returned).toBe(9);
    expect(contents(q).sort()).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await waiting.closed;
    expect(waiting.pending).toBe(0);
  });
});
