import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { SERVER, testStream, type TestStream } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const N = 3_000;
const MAX_IN_FLIGHT = 50;
const KILLS = 3;

let t: TestStream | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Starts a consumer child; `until(k)` resolves once it printed k lines (or every n was seen). */
function consumer(stream: string, seen: Map<number, number>, mine: Set<number>) {
  const child: ChildProcess = spawn(process.execPath, [FIXTURE, stream, SERVER, String(MAX_IN_FLIGHT)], {
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
  return {
    child,
    exited: once(child, 'exit'),
    until: (k: number) => new Promise<void>((resolve) => waiters.push({ k, resolve })),
  };
}

it('loses nothing when consumers are SIGKILLed mid-stream; what comes again stays within maxInFlight', async () => {
  t = await testStream('kill');
  await t.publish(Array.from({ length: N }, (_, n) => ({ n })));
  const seen = new Map<number, number>();
  const byChild: Set<number>[] = [];
  for (let k = 0; k < KILLS; k++) {
    byChild.push(new Set());
    const c = consumer(t.stream, seen, byChild[k]!);
    await c.until(400);
    c.child.kill('SIGKILL');
    const [code, signal] = await c.exited;
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    expect(seen.size).toBeLessThan(N); // it really died mid-stream
  }
  byChild.push(new Set());
  const last = consumer(t.stream, seen, byChild[KILLS]!);
  await last.until(N * 10); // resolves once every n was seen
  last.child.kill('SIGTERM');
  const [code] = await last.exited;
  expect(code).toBe(0);
  expect(seen.size).toBe(N);
  // What a killed child handled and a later one handled again: at most what it held unsettled.
  for (let k = 0; k < KILLS; k++) {
    const later = byChild.slice(k + 1);
    const again = [...byChild[k]!].filter((n) => later.some((s) => s.has(n))).length;
    expect(again).toBeLessThanOrEqual(MAX_IN_FLIGHT);
  }
  const duplicates = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
  expect(duplicates).toBeLessThanOrEqual(KILLS * MAX_IN_FLIGHT);
  // Everything was acked: nothing is pending or waiting for an ack on the durable consumer.
  await expect.poll(() => t!.consumerState(), { timeout: 5_000 }).toEqual({ pending: 0, ackPending: 0 });
}, 90_000);
