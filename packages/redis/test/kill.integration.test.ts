import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, client, uniqueName } from './helpers.js';
import { until } from '@rxq/core/testing';

const fixture = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const admin = client();
afterAll(() => admin.quit());

const N = 3_000;
const KILLS = 3;
const MAX_IN_FLIGHT = 32;

function start(mode: string, key: string, doneKey: string): ChildProcess {
  return fork(fixture, [mode, key, doneKey], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
}

async function killTest(mode: 'reliable' | 'stream', publish: (key: string) => Promise<void>): Promise<void> {
  const key = uniqueName(`kill-${mode}`);
  const doneKey = `${key}:done`;
  try {
    await publish(key);
    // SIGKILL at random points, each later than the last, then one consumer that finishes.
    const points = Array.from({ length: KILLS }, () => Math.floor(200 + Math.random() * (N / KILLS - 300)));
    let reached = 0;
    for (const step of points) {
      reached += step;
      const child = start(mode, key, doneKey);
      const target = reached;
      await until(async () => (await admin.llen(doneKey)) >= target, { what: `${target} handled`, timeoutMs: 30_000 });
      child.kill('SIGKILL');
      await exited(child);
    }
    const last = start(mode, key, doneKey);
    await until(async () => new Set((await admin.lrange(doneKey, 0, -1)).map((e) => e.split(':')[0])).size === N, {
      what: 'every message handled',
      timeoutMs: 60_000,
    });
    last.kill('SIGTERM');
    await exited(last);
    const done = await admin.lrange(doneKey, 0, -1);
    const ns = new Set(done.map((e) => Number(e.split(':')[0])));
    expect(ns.size).toBe(N);
    for (let n = 0; n < N; n++) expect(ns.has(n)).toBe(true);
    // Duplicates: at most what the killed consumers held in flight.
    expect(done.length - N).toBeLessThanOrEqual(KILLS * MAX_IN_FLIGHT);
    // A redelivered message carries a higher attempt.
    const seen = new Map<string, number>();
    for (const e of done) {
      const [n, attempt] = e.split(':') as [string, string];
      if (seen.has(n)) expect(Number(attempt)).toBeGreaterThan(1);
      seen.set(n, Number(attempt));
    }
    if (mode === 'reliable') {
      expect(await admin.llen(key)).toBe(0);
      const [, processing] = await admin.scan('0', 'MATCH', `${key}:processing:*`, 'COUNT', 10_000);
      expect(await Promise.all(processing.map((p) => admin.llen(p)))).toEqual(processing.map(() => 0));
    } else {
      const pending = (await admin.xpending(key, 'g')) as [number, ...unknown[]];
      expect(pending[0]).toBe(0);
    }
  } finally {
    await cleanup(admin, key);
  }
}

describe('a consumer killed with SIGKILL mid-stream', { timeout: 120_000 }, () => {
  it('reliable list: every message handled and acked, none lost, duplicates bounded by in-flight', async () => {
    await killTest('reliable', async (key) => {
      for (let i = 0; i < N; i += 1000)
        await admin.rpush(key, ...Array.from({ length: 1000 }, (_, j) => JSON.stringify({ n: i + j })));
    });
  });

  it('stream: every message handled and acked, none lost, duplicates bounded by in-flight', async () => {
    await killTest('stream', async (key) => {
      const p = admin.pipeline();
      for (let i = 0; i < N; i++) p.xadd(key, '*', 'body', JSON.stringify({ n: i }));
      await p.exec();
    });
  });
});
