import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ack, fromQueue, handle, type Message, type SettlementRecord } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { afterEach, expect, it } from 'vitest';
import type { SqsDelivery } from '../src/index.js';
import { testQueue, type TestQueue } from './helpers.js';

const PRODUCER = fileURLToPath(new URL('./fixtures/query_send.py', import.meta.url));

interface Raw {
  readonly body: string;
  readonly attributes?: Readonly<Record<string, readonly [string, string]>>;
}

/** Sends with the Python query-protocol producer; resolves with how many the server accepted. */
function querySend(queueUrl: string, messages: readonly Raw[]): Promise<number> {
  const input = messages.map((m) => JSON.stringify(m)).join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('python3', [PRODUCER, queueUrl], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}: ${stderr}`)) : resolve(Number(stdout.trim())),
    );
    child.stdin!.end(input);
  });
}

const transportOf = (m: Message<unknown>) => (m as unknown as { delivery: SqsDelivery }).delivery.transport;

/** Text bodies (SQS carries nothing else) no JSON codec may take: each is dead-lettered as it was. */
const POISON: readonly string[] = [
  '{not json',
  ' ',
  '{"n": 1',
  'NaN',
  '\ufffd\ufffd',
  '\ufeff{}{',
  "{'n': 1}",
  '[1, 2,]',
  '['.repeat(200_000),
];

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('consumes what a Python query-protocol producer sent: bodies, typed attributes, attempt 1', async () => {
  t = await testQueue('foreign');
  const good: Raw[] = Array.from({ length: 30 }, (_, n) => ({ body: JSON.stringify({ n }) }));
  good.push({ body: JSON.stringify({ n: 30 }), attributes: { trace: ['String', 'abc'], count: ['Number', '-7'] } });
  expect(await querySend(t.url, good)).toBe(31);
  const source = fromQueue<{ n: number }>(t.connector(), { maxInFlight: 16 });
  const seen: Message<{ n: number }>[] = [];
  const records = await collectUntil(
    source.pipe(
      handle((m: Message<{ n: number }>) => void seen.push(m), { concurrency: 4 }),
      ack(),
    ),
    (rs) => rs.length === 31,
  );
  await source.stop();
  expect(records.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
  expect(seen.map((m) => m.body.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 31 }, (_, i) => i));
  const withAttributes = seen.find((m) => m.body.n === 30)!;
  expect(withAttributes.headers).toMatchObject({ trace: 'abc', count: '-7' });
  expect(transportOf(withAttributes).messageAttributes.count).toMatchObject({ DataType: 'Number', StringValue: '-7' });
  await expect.poll(() => t!.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
});

it('dead-letters a poison corpus from a foreign producer as it was, and goes on', async () => {
  t = await testQueue('poison');
  const corpus: Raw[] = [];
  POISON.forEach((body, n) => corpus.push({ body: JSON.stringify({ n }) }, { body }));
  expect(await querySend(t.url, corpus)).toBe(POISON.length * 2);
  const source = fromQueue<{ n: number }>(t.connector(), { maxInFlight: 4 });
  const dead = `${t.queue}-dead`;
  const records: SettlementRecord[] = [];
  const sub = source
    .pipe(
      handle((m: Message<{ n: number }>) => m.body.n),
      ack(),
    )
    .subscribe((r) => records.push(r));
  // Poison is settled without being emitted: wait until the queue is empty, then stop.
  await expect.poll(() => records.length, { timeout: 20_000 }).toBe(POISON.length);
  await expect.poll(() => t!.counts(), { timeout: 20_000 }).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  await source.stop();
  sub.unsubscribe();
  expect(records.map((r) => r.settlement)).toEqual(Array(POISON.length).fill('acked'));
  expect(source.metrics.snapshot().poison).toBe(POISON.length);
  const letters = await t.drain(dead);
  expect(letters.map((l) => l.Body).sort()).toEqual([...POISON].sort());
  for (const l of letters) {
    expect(l.MessageAttributes?.['x-rxq-dead-reason']?.StringValue).toBe('decode');
    expect(l.MessageAttributes?.['x-rxq-error-message']?.StringValue).not.toMatch(/not json|\[\[\[/);
  }
}, 60_000);
