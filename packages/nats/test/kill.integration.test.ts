import { fileURLToPath } from 'node:url';
import { killRounds } from '@rxq/core/testing';
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

it('loses nothing when consumers are SIGKILLed mid-stream; what comes again stays within maxInFlight', async () => {
  t = await testStream('kill');
  await t.publish(Array.from({ length: N }, (_, n) => ({ n })));
  const r = await killRounds({
    fixture: FIXTURE,
    args: [t.stream, SERVER, String(MAX_IN_FLIGHT)],
    total: N,
    kills: KILLS,
  });
  for (const k of r.killed) {
    expect([k.code, k.signal]).toEqual([null, 'SIGKILL']);
    expect(k.seenAtKill).toBeLessThan(N); // it really died mid-stream
  }
  expect(r.lastExitCode).toBe(0);
  expect(r.seen.size).toBe(N);
  // What a killed child handled and a later one handled again: at most what it held unsettled.
  for (const again of r.handledAgain) expect(again).toBeLessThanOrEqual(MAX_IN_FLIGHT);
  expect(r.duplicates).toBeLessThanOrEqual(KILLS * MAX_IN_FLIGHT);
  // Everything was acked: nothing is pending or waiting for an ack on the durable consumer.
  await expect.poll(() => t!.consumerState(), { timeout: 5_000 }).toEqual({ pending: 0, ackPending: 0 });
}, 90_000);
