import { homedir } from 'node:os';
import { join } from 'node:path';
import { ack, fromQueue, handle } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TestTopic } from './helpers.js';
import { consoleProduce, kafkaSh } from './tools.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 150;

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('compression', 1);
});
afterEach(async () => {
  await topic.close();
});

it("reads batches Kafka's console producer compressed with gzip, snappy, lz4 and zstd", async () => {
  for (const codec of CODECS) {
    const lines = Array.from({ length: PER_CODEC }, (_, i) => JSON.stringify({ codec, i, pad: 'x'.repeat(i % 50) }));
    // One batch per run (a large batch size and linger), compressed with the codec.
    await consoleProduce(topic.name, lines, [
      '--compression-codec',
      codec,
      '--batch-size',
      '1000000',
      '--producer-property',
      'linger.ms=200',
    ]);
  }
  // The broker's own log says each batch was stored with its codec (not recompressed).
  const dir = join(process.env.RXQ_KAFKA_HOME ?? join(homedir(), '.cache/rxq-kafka'), 'data/kraft-combined-logs');
  const dump = await kafkaSh([
    'run',
    'kafka.tools.DumpLogSegments',
    '--files',
    join(dir, `${topic.name}-0`, '00000000000000000000.log'),
  ]);
  const stored = new Set([...dump.matchAll(/compresscodec: (\w+)/g)].map((m) => m[1]?.toLowerCase()));
  expect([...stored].sort()).toEqual([...CODECS].sort());

  const total = CODECS.length * PER_CODEC;
  const source = fromQueue<{ codec: string; i: number }>(topic.connector(), { maxInFlight: 64 });
  const seen = new Set<string>();
  const results = await collectUntil(
    source.pipe(
      handle((m) => seen.add(`${m.body.codec}:${m.body.i}`), { concurrency: 8 }),
      ack(),
    ),
    (rs) => rs.length >= total,
    60_000,
  );
  expect(results.every((r) => r.settlement === 'acked')).toBe(true);
  expect(seen.size).toBe(total);
  for (const codec of CODECS) for (let i = 0; i < PER_CODEC; i++) expect(seen.has(`${codec}:${i}`)).toBe(true);
  expect(source.metrics.snapshot().poison).toBe(0);
  await topic.sessionsClosed();
}, 180_000);
