import { fromQueue } from '@rxq/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kafkaTransport, type KafkaTransport } from '../src/index.js';
import { DRIVER, TestTopic } from './helpers.js';
import { javaDump, javaTool, recordingLogger } from './tools.js';
import { until } from '@rxq/core/testing';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('headers', 1);
});
afterEach(async () => {
  await topic.close();
});

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
// What the Java producer sent (RxqKafkaTool headers), in record order, as hex.
const SENT: [string, string | null][] = [
  ['bin', 'ff00fe80'],
  ['rep', hex('one')],
  ['rep', hex('two')],
  ['text', hex('héllo')],
  ['empty', ''],
  ['nul', null],
];
const ORIGINAL = SENT;
// kafkajs cannot write a header without value: its copy carries it with an empty value; the
// platformatic driver writes it without value, as it came.
const COPIED = DRIVER === 'kafkajs' ? SENT.map(([k, v]): [string, string | null] => [k, v ?? '']) : SENT;

it('binary and repeated headers from a Java producer: shown losslessly, and copied byte for byte by resend and dead letter', async () => {
  await javaTool(['headers', topic.name]);
  const logger = recordingLogger();
  const source = fromQueue<{ n: number }>(topic.connector(), { maxInFlight: 4, logger });
  const seen: { attempt: number; headers: Readonly<Record<string, string>>; transport: KafkaTransport | undefined }[] =
    [];
  const sub = source.subscribe((m) => {
    seen.push({ attempt: m.attempt, headers: m.headers, transport: kafkaTransport(m) });
    if (m.attempt === 1) void m.resend();
    else void m.deadLetter('test-reason');
  });
  await until(() => seen.length >= 2, { what: 'the original and its resent copy', timeoutMs: 30_000 });
  await until(async () => (await topic.admin.listTopics()).includes(topic.dead), { what: 'the dead-letter topic' });

  // The text view: exactly the UTF-8 values (the last of a repeated name); bytes that are not
  // UTF-8, and null values, only in transport.
  const first = seen[0];
  expect(first?.headers).toEqual({ rep: 'two', text: 'héllo', empty: '' });
  expect(first?.transport?.key?.toString('hex')).toBe('ff006b');
  expect(first?.transport?.value?.toString()).toBe('{"n":1}');
  expect(first?.transport?.headers.map(([k, v]) => [k, v === null ? null : v.toString('hex')])).toEqual(ORIGINAL);
  expect(seen[1]?.attempt).toBe(2);

  // Read back by Kafka's Java consumer: the resent copy, then the dead letter.
  const [original, resent] = await javaDump(topic.name, 2);
  expect(original?.headers).toEqual(ORIGINAL);
  expect(resent?.key).toBe('ff006b');
  expect(resent?.value).toBe(original?.value);
  expect(resent?.headers.filter(([k]) => !k.startsWith('x-rxq-'))).toEqual(COPIED);
  expect(resent?.headers).toContainEqual(['x-rxq-attempt', hex('2')]);
  const [dead] = await javaDump(topic.dead, 1);
  expect(dead?.key).toBe('ff006b');
  expect(dead?.value).toBe(original?.value);
  expect(dead?.headers.filter(([k]) => !k.startsWith('x-rxq-'))).toEqual(COPIED);
  expect(dead?.headers).toContainEqual(['x-rxq-dead-reason', hex('test-reason')]);
  expect(dead?.headers).toContainEqual(['x-rxq-origin', hex(`${topic.name}/0/1`)]);
  // The copy carries the attempt of the message it was made from, replaced, not repeated.
  expect(dead?.headers.filter(([k]) => k === 'x-rxq-attempt')).toEqual([['x-rxq-attempt', hex('2')]]);

  sub.unsubscribe();
  await topic.sessionsClosed();
  // The dead-letter topic was created before its first use: kafkajs logged no error.
  expect(logger.records.filter((r) => r.level === 'error' || r.level === 'warn')).toEqual([]);
});
