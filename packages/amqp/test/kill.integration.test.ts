import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { publishMany } from '../src/index.js';
import { testQueue, BROKER_URL, type TestQueue } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const N = 3_000;
const PREFETCH = 50;
const KILLS = 3;

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Starts a consumer child; `lines` counts what it handled, `until(k)` resolves once it printed k. */
function consumer(queue: string, seen: Map<number, number>, mine: Set<number>) {
  const child: ChildProcess = spawn(process.execPath, [FIXTURE, queue, BROKER_URL, String(PREFETCH)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lines = 0;
  const waiters: { k: number; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const n = Number(line);
    seen.set(n, (seen.get(n) ?? 0) + 1);
    mine.add(n);
    lines++;
    for (const w of waiters.filter((w) => lines >= w.k || seen.size === N)) w.resolve();
  });
  const exited = once(child, 'exit');
  return {
    child,
    exited,
    until: (k: number) => new Promise<void>((resolve) => waiters.push({ k, resolve })),
  };
}

it('loses nothing when consumers are SIGKILLed mid-stream; duplicates stay within the prefetch', async () => {
  t = await testQueue('kill');
  await publishMany(
    t.admin,
    t.queue,
    Array.from({ length: N }, (_, n) => ({ n })),
  );
  const seen = new Map<number, number>();
  const byChild: Set<number>[] = [];
  for (let k = 0; k < KILLS; k++) {
    byChild.push(new Set());
    const c = consumer(t.queue, seen, byChild[k]!);
    await c.until(400);
    c.child.kill('SIGKILL');
    const [code, signal] = await c.exited;
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    expect(seen.size).toBeLessThan(N); // it really died mid-stream
  }
  byChild.push(new Set());
  const last = consumer(t.queue, seen, byChild[KILLS]!);
  await last.until(N * 10); // resolves once every n was seen
  last.child.kill('SIGTERM');
  const [code] = await last.exited;
  expect(code).toBe(0);
  expect(seen.size).toBe(N);
  // What a killed child handled and a later one handled again: at most its unacked prefetch.
  for (let k = 0; k < KILLS; k++) {
    const later = byChild.slice(k + 1);
    const again = [...byChild[k]!].filter((n) => later.some((s) => s.has(n))).length;
    expect(again).toBeLessThanOrEqual(PREFETCH);
  }
  const duplicates = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
  expect(duplicates).toBeLessThanOrEqual(KILLS * PREFETCH);
  // Everything was acked: nothing is left, ready or unacked (no consumer holds any now).
  expect(await t.ready()).toBe(0);
}, 60_000);
