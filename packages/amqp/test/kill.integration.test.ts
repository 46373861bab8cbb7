import { fileURLToPath } from 'node:url';
import { killRounds } from '@rxq/core/testing';
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

it('loses nothing when consumers are SIGKILLed mid-stream; duplicates stay within the prefetch', async () => {
  t = await testQueue('kill');
  await publishMany(
    t.admin,
    t.queue,
    Array.from({ length: N }, (_, n) => ({ n })),
  );
  const r = await killRounds({
    fixture: FIXTURE,
    args: [t.queue, BROKER_URL, String(PREFETCH)],
    total: N,
    kills: KILLS,
  });
  for (const k of r.killed) {
    expect([k.code, k.signal]).toEqual([null, 'SIGKILL']);
    expect(k.seenAtKill).toBeLessThan(N); // it really died mid-stream
  }
  expect(r.lastExitCode).toBe(0);
  expect(r.seen.size).toBe(N);
  // What a killed child handled and a later one handled again: at most its unacked prefetch.
  for (const again of r.handledAgain) expect(again).toBeLessThanOrEqual(PREFETCH);
  expect(r.duplicates).toBeLessThanOrEqual(KILLS * PREFETCH);
  // Everything was acked: nothing is left, ready or unacked (no consumer holds any now).
  expect(await t.ready()).toBe(0);
}, 60_000);
