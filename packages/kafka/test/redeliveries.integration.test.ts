import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TestTopic } from './helpers.js';
import { until } from '@rxq/core/testing';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const fixture = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const MAX_IN_FLIGHT = 64;
const KILLS = 5;

let topic: TestTopic;
const children = new Set<ChildProcess>();
beforeEach(async () => {
  topic = await TestTopic.create('redeliveries', 2);
});
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  await topic.close();
});

const COMMIT_INTERVAL = process.env.RXQ_TEST_COMMIT_INTERVAL_MS ?? 'default';

/** A consumer child with the connector's default commit settings; sees each id handed to the handler and each ack. */
function consumer(
  onRecv: (id: string) => void,
  onAck: (id: string) => void,
): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [fixture, topic.name, topic.group, String(MAX_IN_FLIGHT), COMMIT_INTERVAL], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  children.add(child);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('ack ')) onAck(line.slice(4));
    else if (line.startsWith('recv ')) onRecv(line.slice(5));
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => children.delete(child));
  return { child, exited };
}

it(`redeliveries per SIGKILL, counted: median ≤ 2 × maxInFlight (${2 * MAX_IN_FLIGHT}) with the default commit settings`, async () => {
  const total = 6_000;
  await topic.publish(
    Array.from({ length: total }, (_, n) => ({ n })),
    true,
  );
  const acked = new Set<string>();
  const delivered = new Set<string>();
  const perKill: number[] = [];
  const reackedPerKill: number[] = [];
  for (let k = 0; k <= KILLS; k++) {
    let acks = 0;
    let again = 0;
    let redelivered = 0;
    const { child, exited } = consumer(
      (id) => {
        // Handed to a handler again: in flight at the kill, or acked but not yet committed.
        if (delivered.has(id)) redelivered++;
        else delivered.add(id);
      },
      (id) => {
        acks++;
        if (acked.has(id)) again++;
        else acked.add(id);
      },
    );
    if (k === KILLS) {
      await until(() => acked.size === total, { what: `all ${total} acked (${acked.size})`, timeoutMs: 90_000 });
      child.kill('SIGTERM');
      await exited;
    } else {
      // Mid-stream: wait (bounded polling on the counter) for 600 new acks, then SIGKILL.
      await until(() => acks - again >= 600, { what: `consumer ${k} acking`, timeoutMs: 60_000 });
      child.kill('SIGKILL');
      await exited;
    }
    // What this consumer handled again was left uncommitted by the previous one's kill.
    if (k > 0) {
      perKill.push(redelivered);
      reackedPerKill.push(again);
    }
  }
  const medianOf = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const median = medianOf(perKill);
  console.log(
    `commitIntervalMs ${COMMIT_INTERVAL}, maxInFlight ${MAX_IN_FLIGHT}: redelivered per SIGKILL ${perKill.join(', ')} ` +
      `(median ${median}); of them acked before the kill ${reackedPerKill.join(', ')} (median ${medianOf(reackedPerKill)})`,
  );
  expect(acked.size).toBe(total);
  expect(perKill.length).toBe(KILLS);
  expect(median).toBeLessThanOrEqual(2 * MAX_IN_FLIGHT);
}, 240_000);
