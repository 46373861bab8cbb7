import { ack, fromQueue, handle, retryWithResend, silentLogger, type Message, type QueueObservable } from '@rxq/core';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { redis, redisSimpleList, redisStream } from '../../src/index.js';
import { keySlot } from '../../src/keys.js';
import { Connections } from '../../src/connection.js';
import { uniqueName } from '../helpers.js';
import { cleanupCluster, clusterClient, keysOf, masterOf } from './helpers.js';
import { until } from '@rxq/core/testing';

const run = promisify(execFile);
const admin = clusterClient();
afterAll(() => admin.quit());
const name = (kind: string): string => uniqueName(kind).replaceAll(':', '-');

describe('key layout on a cluster', () => {
  it('computes the slots the cluster computes', async () => {
    const names = ['orders', '{orders}:dead', 'a{b}c', 'a{}b', 'a{b', '}{x}', 'é{ü}', '{', '}'];
    for (let i = 0; i < 200; i++) names.push(`${Math.random().toString(36)}{${i % 7 === 0 ? '' : i}}`);
    for (const key of names) expect([key, keySlot(key)]).toEqual([key, await admin.cluster('KEYSLOT', key)]);
  });

  it("keeps every key of a reliable queue in the queue's slot: processing, registry, heartbeat, delayed, dead", async () => {
    const q = name('layout');
    const connection = clusterClient();
    await admin.rpush(q, '{"n":0}', '{"n":1}', '{"n":2}');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    const source = fromQueue(redis(q, { connection, blockMs: 200 }));
    source
      .pipe(
        handle(async (m) => {
          const { n } = m.body as { n: number };
          if (n === 0) throw new Error('later'); // resent after a long delay: the delayed set
          if (n === 1) throw Object.assign(new Error('never'), { retryable: false }); // the dead letters
          holding();
          await held; // held: the processing list and the heartbeat exist now
        }),
        retryWithResend({ maxAttempts: 3, backoff: () => 60_000 }),
        ack(),
      )
      .subscribe();
    try {
      await isHolding;
      await until(async () => (await admin.zcard(`{${q}}:delayed`)) === 1 && (await admin.llen(`{${q}}:dead`)) === 1, {
        timeoutMs: 20_000,
      });
      const keys = await keysOf(admin, q);
      const slot = keySlot(q);
      const pattern = (k: string): string =>
        k.replace(/:processing:.*/, ':processing:<id>').replace(/:consumers:.*/, ':consumers:<id>');
      expect(new Set(keys.map(pattern))).toEqual(
        new Set([
          `{${q}}:processing:<id>`,
          `{${q}}:consumers`,
          `{${q}}:consumers:<id>`,
          `{${q}}:delayed`,
          `{${q}}:dead`,
        ]),
      );
      for (const k of keys) expect([k, await admin.cluster('KEYSLOT', k)]).toEqual([k, slot]);
    } finally {
      release();
      await source.stop();
      await connection.quit();
      await cleanupCluster(admin, q);
    }
  });

  it('sends every command of every mode to the node of its slot: no MOVED redirect', async () => {
    // Redis counts the error replies it sends (INFO errorstats): a command sent to the wrong node
    // costs a MOVED reply (and the client a refresh of its slot table).
    const moved = async (): Promise<number> => {
      let sum = 0;
      for (const node of admin.nodes('all'))
        sum += Number(/errorstat_MOVED:count=(\d+)/.exec(await node.info('errorstats'))?.[1] ?? 0);
      return sum;
    };
    const connection = clusterClient();
    const [q, sq, s] = [name('moved-list'), name('moved-simple'), name('moved-stream')];
    const bodies = Array.from({ length: 300 }, (_, n) => JSON.stringify({ n }));
    await admin.rpush(q, ...bodies);
    await admin.rpush(sq, ...bodies);
    for (const b of bodies) await admin.xadd(s, '*', 'body', b);
    await until(async () => admin.nodes('all').length === 6, { timeoutMs: 20_000 });
    const before = await moved();
    let handled = 0;
    const drive = <X>(source: QueueObservable<unknown, X>): QueueObservable<unknown, X> => {
      source
        .pipe(
          handle(async (m: Message<unknown, X>) => {
            handled++;
            const { n } = m.body as { n: number };
            if (n === 7 && m.attempt === 1) throw new Error('once more'); // a resend
            if (n === 8) throw Object.assign(new Error('never'), { retryable: false }); // a dead letter
          }),
          retryWithResend({ maxAttempts: 3, backoff: () => 0 }),
          ack(),
        )
        .subscribe();
      return source;
    };
    const sources = [
      drive(fromQueue(redis(q, { connection, blockMs: 200 }))),
      drive(fromQueue(redisSimpleList(sq, { connection, blockMs: 200 }))),
      drive(fromQueue(redisStream(s, { group: 'g', connection, blockMs: 200 }))),
    ];
    try {
      await until(async () => handled >= 3 * 301, { timeoutMs: 20_000 });
      for (const source of sources) await source.stop();
      expect(await moved()).toBe(before);
    } finally {
      for (const source of sources) await source.stop();
      await connection.quit();
      for (const k of [q, sq, s]) await cleanupCluster(admin, k);
    }
  });

  it('a blocking read goes to the node of its key, and CLIENT UNBLOCK reaches it there', async () => {
    const q = name('unblock');
    const cluster = clusterClient();
    const connections = new Connections(cluster, q, undefined);
    const cmd = await connections.acquire(silentLogger);
    const blk = await connections.blocking(cmd, `rxq-test:${q}`, q);
    try {
      expect(blk.options.port).toBe(await masterOf(q));
      const id = Number(await blk.client('ID'));
      const read = blk.blmove(q, `{${q}}:x`, 'LEFT', 'RIGHT', 60);
      const port = await masterOf(q);
      const node = admin.nodes('master').find((n) => n.options.port === port);
      // The read is blocked on the master of its slot (CLIENT LIST there shows it).
      const blocked = async (): Promise<boolean> =>
        String(await node?.client('LIST'))
          .split('\n')
          .some((l) => l.startsWith(`id=${id} `) && l.includes('cmd=blmove'));
      await until(blocked, { timeoutMs: 20_000 });
      await connections.unblock(cmd, blk, id);
      // Unblocked, the read answers nil at once; sent to another node it would wait out its 60 s.
      const outcome = await Promise.race([
        read,
        new Promise((r) => setTimeout(() => r('still blocked after 30 s'), 30_000)),
      ]);
      expect(outcome).toBeNull();
    } finally {
      blk.disconnect();
      await connections.release();
      await cluster.quit();
    }
  });
});

describe('a producer rxq did not write (redis-cli -c)', () => {
  it('crosses into a reliable list and a stream, following the redirects to the right node', async () => {
    const q = name('cli-list');
    const s = name('cli-stream');
    const cli = (...args: string[]) => run('redis-cli', ['-c', '-p', '7001', ...args]);
    await cli('RPUSH', q, '{"n":1,"from":"redis-cli"}', 'plain text');
    await cli('XADD', s, '*', 'body', '{"n":2}', 'tenant', 'acme');
    const connection = clusterClient();
    const seen: unknown[] = [];
    const list = fromQueue(redis(q, { connection, blockMs: 200 }));
    const stream = fromQueue(redisStream(s, { group: 'g', connection, blockMs: 200 }));
    list
      .pipe(
        handle(async (m) => void seen.push(['list', m.body, m.attempt])),
        ack(),
      )
      .subscribe();
    stream
      .pipe(
        handle(async (m) => void seen.push(['stream', m.body, m.attempt, m.headers?.tenant])),
        ack(),
      )
      .subscribe();
    try {
      await until(async () => seen.length === 2 && (await admin.llen(`{${q}}:dead`)) === 1, { timeoutMs: 20_000 });
      expect(seen).toEqual(
        expect.arrayContaining([
          ['list', { n: 1, from: 'redis-cli' }, 1],
          ['stream', { n: 2 }, 1, 'acme'],
        ]),
      );
      // 'plain text' is not JSON: dead-lettered beside the queue, in its slot.
      const [dead] = await admin.lrangeBuffer(`{${q}}:dead`, 0, -1);
      expect(dead?.toString()).toContain('plain text');
      await until(async () => (await admin.xpending(s, 'g'))[0] === 0, { timeoutMs: 20_000 });
      expect(await admin.llen(q)).toBe(0);
    } finally {
      await list.stop();
      await stream.stop();
      await connection.quit();
      await cleanupCluster(admin, q);
      await cleanupCluster(admin, s);
    }
  });
});
