import { afterEach, expect, it } from 'vitest';
import type { TestTopic } from '../helpers.js';
import { cluster, clusterTopic, committedToEnd, fullyInSync } from './cluster.js';
import { countingConsumer, type CountingConsumer } from './consume.js';
import { until } from '@rxq/core/testing';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const bodies = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ n: from + i }));

/** How long the consumer may make no progress while messages wait before the test gives up on it. */
const STALL_LIMIT_MS = 60_000;

let topic: TestTopic | undefined;
let consumer: CountingConsumer | undefined;
let down: number | undefined;
let producing = false;
afterEach(async () => {
  producing = false;
  consumer?.stop();
  // whatever happened, leave all three brokers running
  if (down !== undefined) await cluster('start-node', String(down));
  down = undefined;
  await topic?.close();
  topic = undefined;
});

it('a rolling restart of the three brokers under a steady produce load: nothing lost, the consumer never stalls, commits reach the end', async () => {
  topic = await clusterTopic('rolling', 3);
  const t = topic;
  consumer = countingConsumer(t);
  const c = consumer;

  // A steady load: 20 records about every 100 ms, each batch acknowledged by the in-sync replicas.
  producing = true;
  let produced = 0;
  let notKept = 0;
  let kept = new Set<number>();
  const producer = (async () => {
    while (producing) {
      await t.publish(bodies(produced, 20), true);
      produced += 20;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  // Progress: the longest time in which messages waited and none was acked.
  let longestStallMs = 0;
  let lastAcked = 0;
  let lastProgressAt = Date.now();
  const monitor = setInterval(() => {
    const now = Date.now();
    if (c.acked.size > lastAcked || c.acked.size >= produced - notKept) {
      lastAcked = c.acked.size;
      lastProgressAt = now;
    }
    longestStallMs = Math.max(longestStallMs, now - lastProgressAt);
  }, 100);
  /** Resolves once every `n` of `expected` is acked; fails once none was acked for STALL_LIMIT_MS. */
  const caughtUp = async (what: string, expected: ReadonlySet<number>): Promise<void> => {
    while ([...expected].some((n) => !c.acked.has(n))) {
      if (Date.now() - lastProgressAt > STALL_LIMIT_MS)
        throw new Error(`${what}: no progress for ${STALL_LIMIT_MS} ms (${c.acked.size} acked of ${expected.size})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** The `n` of every record in the topic (what the brokers kept of what was produced). */
  const inTopic = async (): Promise<Set<number>> =>
    new Set((await t.readAll(t.name)).map((r) => (JSON.parse(String(r.value)) as { n: number }).n));

  try {
    await c.allAcked(200);
    const restarts: string[] = [];
    for (const node of [1, 2, 3]) {
      const from = Date.now();
      down = node;
      await cluster('stop-node', String(node)); // SIGTERM: a graceful shutdown, leaderships move first
      await cluster('start-node', String(node));
      down = undefined;
      await fullyInSync(t.admin, t.name);
      restarts.push(`node ${node} ${((Date.now() - from) / 1000).toFixed(1)} s`);
    }
    producing = false;
    await producer;
    // kafkajs' producer can report a send as written while a partition's share of it is not (a
    // broker stopping under it); the harness sends those records again (confirmingProducer), so
    // the topic must hold every record produced. The consumer is held to what the topic holds.
    kept = await inTopic();
    notKept = produced - [...kept].filter((n) => n < produced).length;
    await caughtUp('every message in the topic acked', kept);
    await until(() => committedToEnd(t.admin, t.group, t.name).catch(() => false), {
      what: 'committed to the end',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    c.stop();
    console.log(
      `kafka cluster rolling restart (${restarts.join(', ')}): ${produced} messages produced ` +
        `(${notKept} of them not in the topic although their send was confirmed), ` +
        `${c.acked.size} acked, ${c.duplicates()} duplicate deliveries; longest time without progress ` +
        `${longestStallMs} ms; statuses ${c.statuses.join(' > ')}`,
    );
  } catch (error) {
    // Whether the messages never acked are in the topic at all (a broker lost them) or were skipped.
    const missing = new Set(Array.from({ length: produced }, (_, n) => n).filter((n) => !c.acked.has(n)));
    const inTopicMissing = await inTopic()
      .then((kept) => [...missing].filter((n) => kept.has(n)).length)
      .catch((e: unknown) => `unknown (${(e as Error).message})`);
    console.log(
      `kafka cluster rolling restart: of ${missing.size} messages never acked, ${inTopicMissing} are in the topic`,
    );
    console.log(
      `kafka cluster rolling restart FAILED: ${produced} produced, ${c.acked.size} acked, ` +
        `${c.duplicates()} duplicates, longest time without progress ${longestStallMs} ms; ` +
        `statuses ${c.statuses.join(' > ')}; not acked (deliveries): ` +
        Array.from({ length: produced }, (_, n) => n)
          .filter((n) => !c.acked.has(n))
          .slice(0, 20)
          .map((n) => `${n} (${c.deliveries.get(n) ?? 0})`)
          .join(', '),
    );
    throw error;
  } finally {
    clearInterval(monitor);
    producing = false;
    await producer.catch(() => undefined);
  }
  expect(kept.size).toBeGreaterThan(0);
  expect(notKept, 'records reported written but not in the topic').toBe(0);
  for (const n of kept) expect(c.acked.has(n), `message ${n}`).toBe(true);
}, 420_000);
