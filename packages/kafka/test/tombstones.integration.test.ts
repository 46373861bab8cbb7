import { ack, fromQueue, handle, text } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafka, kafkaTransport } from '../src/index.js';
import { QUICK, TestTopic } from './helpers.js';
import { consoleProduce } from './tools.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('tombstones', 1);
  // Kafka's console producer: key|value, and NULL as a null value (a tombstone).
  await consoleProduce(
    topic.name,
    ['k1|{"n":1}', 'k1|NULL', 'k2|{"n":2}', 'k2|NULL', 'k3|{"n":3}'],
    ['--property', 'parse.key=true', '--property', 'key.separator=|', '--property', 'null.marker=NULL'],
  );
});
afterEach(async () => {
  await topic.close();
});

const committed = async (group: string): Promise<number> => {
  const [t] = await topic.admin.fetchOffsets({ groupId: group, topics: [topic.name] });
  return Number(t?.partitions[0]?.offset ?? -1);
};

it('delivers tombstones with body null (json and text codecs), nothing dead-lettered', async () => {
  for (const codec of [undefined, text]) {
    const group = topic.extraGroup('deliver');
    const connector = kafka(topic.name, { ...QUICK, groupId: group, ...(codec ? { codec } : {}) });
    const source = fromQueue(connector, { maxInFlight: 16 });
    const seen: { key: string | undefined; body: unknown; raw: unknown }[] = [];
    await collectUntil(
      source.pipe(
        handle((m) => {
          seen.push({ key: m.key, body: m.body, raw: m.raw });
        }),
        ack(),
      ),
      (rs) => rs.length >= 5,
      30_000,
    );
    expect(seen.map((s) => s.key)).toEqual(['k1', 'k1', 'k2', 'k2', 'k3']);
    const bodies = seen.map((s) => s.body);
    if (codec) expect(bodies).toEqual(['{"n":1}', null, '{"n":2}', null, '{"n":3}']);
    else expect(bodies).toEqual([{ n: 1 }, null, { n: 2 }, null, { n: 3 }]);
    expect(seen[1]?.raw).toBeNull();
    expect(source.metrics.snapshot().poison).toBe(0);
    expect(await topic.admin.listTopics()).not.toContain(topic.dead);
    await until(async () => (await committed(group)) === 5, { what: 'the commit of all five' });
  }
});

it("with tombstones: 'skip', they are never emitted and are committed with the rest", async () => {
  const group = topic.extraGroup('skip');
  const connector = kafka(topic.name, { ...QUICK, groupId: group, tombstones: 'skip' });
  const source = fromQueue(connector, { maxInFlight: 16 });
  const offsets: string[] = [];
  const records = await collectUntil(
    source.pipe(
      handle((m) => {
        offsets.push(m.offset ?? '');
        // The type says so too: no null with 'skip'.
        return (m.body as { n: number }).n;
      }),
      ack(),
    ),
    (rs) => rs.length >= 3,
    30_000,
  );
  expect(records.every((r) => r.settlement === 'acked')).toBe(true);
  expect(offsets).toEqual(['0', '2', '4']);
  await until(async () => (await committed(group)) === 5, { what: 'the commit past the skipped tombstones' });
});

it('a tombstone keeps its raw null value in transport', async () => {
  const source = fromQueue(topic.connector(), { maxInFlight: 16 });
  const transports: (Buffer | null | undefined)[] = [];
  await collectUntil(
    source.pipe(
      handle((m) => {
        transports.push(kafkaTransport(m)?.value);
      }),
      ack(),
    ),
    (rs) => rs.length >= 5,
    30_000,
  );
  expect(transports.map((v) => (v === null ? null : v?.toString()))).toEqual([
    '{"n":1}',
    null,
    '{"n":2}',
    null,
    '{"n":3}',
  ]);
});
