import { ack, fromQueue, handle, RxqError, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { CLIENT_CONFIG, testQueue, type TestQueue } from './helpers.js';
import { outageProxy, type OutageProxy } from './proxy.js';

let t: TestQueue | undefined;
let proxy: OutageProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await t?.close();
  t = proxy = undefined;
});

it('rides out an outage of the server mid-stream: reconnects by itself, loses nothing', async () => {
  t = await testQueue('outage');
  await t.send(Array.from({ length: 400 }, (_, n) => ({ n })));
  proxy = await outageProxy(Number(new URL(CLIENT_CONFIG.endpoint).port));
  const connector = t.connector({
    clientConfig: { ...CLIENT_CONFIG, endpoint: proxy.endpoint, maxAttempts: 1 },
    visibilityTimeoutMs: 2_000,
  });
  const source = fromQueue<{ n: number }>(connector, { maxInFlight: 20, reconnect: { initialMs: 50, maxMs: 300 } });
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const handled = new Set<number>();
  // Four handlers are held across the outage (their deletes fail); the other four keep consuming,
  // so the source is receiving when the server goes away, whatever the timing.
  let held = 0;
  let reached!: () => void;
  const half = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const done = collectUntil(
    source.pipe(
      handle(
        async (m: Message<{ n: number }>) => {
          if (handled.size >= 150 && held < 4) {
            if (++held === 4) reached();
            await gate;
          }
          handled.add(m.body.n);
        },
        { concurrency: 8 },
      ),
      ack(),
    ),
    () => handled.size === 400,
    60_000,
  );
  await half;
  const reconnecting = firstValueFrom(source.status$.pipe(filter((s) => s.status === 'reconnecting')));
  await proxy.down();
  const event = await reconnecting;
  expect(event.error).toBeInstanceOf(RxqError);
  expect((event.error as RxqError).retryable).toBe(true);
  await proxy.up();
  release();
  await done;
  await source.stop();
  expect(statuses.slice(statuses.indexOf('reconnecting'))).toContain('connected');
  expect(handled.size).toBe(400);
  // What was held across the outage and not deleted comes back after its visibility timeout:
  // drain it, then nothing is left.
  const rest = fromQueue<{ n: number }>(t.connector());
  const again: number[] = [];
  const sub = rest.subscribe((m) => {
    again.push(m.body.n);
    void m.ack();
  });
  await expect.poll(() => t!.counts(), { timeout: 15_000 }).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  await rest.stop();
  sub.unsubscribe();
  expect(again.length).toBeLessThanOrEqual(20);
  for (const n of again) expect(handled.has(n)).toBe(true);
}, 60_000);
