import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HEADERS, silentLogger } from '@rxq/core';
import { readListEntry, redis } from '@rxq/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
import { connectorBackend } from '../src/connectorBackend.js';
import { queueFromSpec } from '../src/queueSpec.js';
import { RawClient } from './helpers.js';
import { until } from '@rxq/core/testing';

const run = promisify(execFile);
const REDIS = 'redis://127.0.0.1:6379';
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const oldClient = fileURLToPath(new URL('./fixtures/old_client.py', import.meta.url));
const stem = `rxq-gw-test-${randomBytes(4).toString('hex')}`;
let admin: Redis;

beforeAll(() => {
  admin = new Redis(REDIS, { connectionName: 'rxq-gateway-test' });
});
afterAll(async () => {
  // Only what this file made: keys under its own stem.
  const keys = await admin.keys(`${stem}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

describe('a Redis list served by the gateway', () => {
  it('serves what a producer rxq did not write (redis-cli RPUSH), and pushes what any consumer reads', async () => {
    const name = `${stem}-a`;
    const [, backend] = await queueFromSpec(`${name}=${REDIS}`, silentLogger);
    const gw = await serve({ port: 0, queues: { [name]: backend } });
    try {
      await run('redis-cli', ['-u', REDIS, 'RPUSH', name, '{"from":"redis-cli"}', '{not json', '[1,2]']);
      const c = await RawClient.open(gw.port);
      // What is not JSON cannot be handed out: it goes to the list's dead letters, reason decode.
      expect(await c.call(['pull_many', [2]])).toEqual(['success', [{ from: 'redis-cli' }, [1, 2]]]);
      const dead = (await admin.lrangeBuffer(`${name}:dead`, 0, -1)).map((e) => readListEntry(e));
      expect(dead.map((d) => [String(d.payload), d.headers?.[HEADERS.deadReason]])).toEqual([['{not json', 'decode']]);
      expect(await c.call(['push_many', ['x', { y: 1 }]])).toEqual(['success', null]);
      expect(await admin.lrange(name, 0, -1)).toEqual(['"x"', '{"y":1}']);
      // The next request acked the pull: the consumer's processing list is empty.
      await until(async () => {
        const lists = await admin.keys(`${name}:processing:*`);
        return (await Promise.all(lists.map((k) => admin.llen(k)))).every((n) => n === 0);
      });
      expect(await c.call(['pull', [0.5]])).toEqual(['success', 'x']);
      expect(await c.call(['pull', [0.5]])).toEqual(['success', { y: 1 }]);
      expect(await c.call(['pull', [0]])).toEqual(['error:timeout', null]);
      c.kill();
    } finally {
      await gw.close();
    }
    expect(await admin.llen(name)).toBe(0);
  });

  it('a take without credit waits for an ack, an abort or a close, and then returns', async () => {
    const name = `${stem}-credit`;
    await admin.rpush(name, '1', '2', '3');
    const backend = connectorBackend(name, {
      connector: redis(name, { connection: REDIS, blockMs: 100 }),
      publish: async () => undefined,
      maxInFlight: 2,
    });
    try {
      const held = await backend.take(2, 5_000, undefined);
      expect(held.map((i) => i.value)).toEqual([1, 2]);
      // No credit: this take gets the third item once one of the two is acked. Each wake below
      // comes 100 ms on, when the take waits for credit (one not waiting yet would find the same).
      const next = backend.take(1, 30_000, undefined);
      await once(AbortSignal.timeout(100), 'abort');
      await backend.ack([held[0]!]);
      expect((await next).map((i) => i.value)).toEqual([3]);
      // Credit spent again (2 and 3 held): an abort ends a take that would wait for ever...
      expect(await backend.take(1, Infinity, AbortSignal.timeout(100))).toEqual([]);
      // ...and so does a close (which then waits for what is held to be settled).
      const last = backend.take(1, Infinity, undefined);
      await once(AbortSignal.timeout(100), 'abort');
      const closing = backend.close?.();
      expect(await last).toEqual([]);
      await backend.putBack([held[1]!, ...(await next)], { countAttempt: false, front: true });
      await closing;
    } finally {
      await backend.close?.();
    }
    expect((await admin.lrange(name, 0, -1)).sort()).toEqual(['2', '3']);
  });

  it('an item pulled by a client that dies goes back to the Redis list with attempt + 1', async () => {
    const name = `${stem}-b`;
    const [, backend] = await queueFromSpec(`${name}=${REDIS}`, silentLogger);
    const gw = await serve({ port: 0, queues: { [name]: backend } });
    try {
      await admin.rpush(name, '"fragile"');
      const c = await RawClient.open(gw.port);
      expect(await c.call(['pull'])).toEqual(['success', 'fragile']);
      c.kill();
      await until(() => gw.stats().leases === 0);
      const d = await RawClient.open(gw.port);
      expect(await d.call(['lease', [2]])).toMatchObject(['success', { value: 'fragile', attempt: 2 }]);
      // A Redis backend does not count its list for `size`.
      expect(await d.call(['size'])).toEqual(['success', null]);
      d.kill();
    } finally {
      await gw.close();
    }
    // Closing returned the last lease to Redis.
    expect(await admin.llen(name)).toBe(1);
  });

  it('rxq-gateway --queue NAME=redis://… serves the Python client of the old protocol', async () => {
    const name = `${stem}-c`;
    const child = spawn(process.execPath, [cli, '--port', '0', '--queue', `${name}=${REDIS}`, '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
      const { port } = JSON.parse(first.value as string) as { port: number };
      const { stdout } = await run('python3', [oldClient, String(port)]);
      const seen = JSON.parse(stdout) as Record<string, unknown>;
      expect(seen).toMatchObject({
        pull: ['success', { id: 1, text: 'naïve ☃' }],
        pull_many: ['success', [2, 'three', [4]]],
        pull_many_timeout: ['success', [null, 5.5, true]],
        pull_empty: ['error:timeout', null],
        drain: ['success', Array.from({ length: 100 }, (_, i) => i)],
      });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    expect(await admin.llen(name)).toBe(0);
  });
});
