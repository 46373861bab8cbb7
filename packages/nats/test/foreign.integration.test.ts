import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ack, fromQueue, handle, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { afterEach, expect, it } from 'vitest';
import type { NatsDelivery } from '../src/index.js';
import { testStream, type TestStream } from './helpers.js';

const PRODUCER = fileURLToPath(new URL('./fixtures/raw_publish.py', import.meta.url));

interface Raw {
  readonly data: Uint8Array | string;
  readonly headers?: readonly (readonly [string, string])[];
}

/** Publishes with the Python raw-protocol producer; resolves with how many JetStream acknowledged. */
function rawPublish(subject: string, messages: readonly Raw[]): Promise<number> {
  const input = messages
    .map((m) => JSON.stringify({ subject, data_hex: Buffer.from(m.data).toString('hex'), headers: m.headers ?? [] }))
    .join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('python3', [PRODUCER, '127.0.0.1', '4222'], { timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}: ${stderr}`)) : resolve(Number(stdout.trim())),
    );
    child.stdin!.end(input);
  });
}

const transportOf = (m: Message<unknown>) => (m as unknown as { delivery: NatsDelivery }).delivery.transport;

/** Bodies no codec should choke on silently: each must be dead-lettered as it was, the rest go on. */
const POISON: readonly Uint8Array[] = [
  Buffer.from('{not json'),
  Buffer.from(''),
  Buffer.from([0xff, 0xfe, 0x00]),
  Buffer.from('{"n": 1'),
  Buffer.from('\u0000'),
  Buffer.from('NaN'),
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded in UTF-8: invalid
  Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x7b]), // BOM, then two objects
  Buffer.alloc(200_000, 0x5b), // 200 kB of '['
];

let t: TestStream | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('consumes what a raw-protocol Python producer published: bodies, repeated headers, attempt 1', async () => {
  t = await testStream('foreign');
  const good = Array.from({ length: 50 }, (_, n) => ({ data: JSON.stringify({ n }) }));
  const withHeaders: Raw = {
    data: JSON.stringify({ n: 50 }),
    headers: [
      ['Trace', 'one'],
      ['Trace', 'two'],
      ['Content-Encoding', 'identity'],
    ],
  };
  expect(await rawPublish(t.subject, [...good, withHeaders])).toBe(51);
  const source = fromQueue<{ n: number }>(t.connector(), { maxInFlight: 16 });
  const seen: Message<{ n: number }>[] = [];
  const records = await collectUntil(
    source.pipe(
      handle((m: Message<{ n: number }>) => void seen.push(m), { concurrency: 4 }),
      ack(),
    ),
    (rs) => rs.length === 51,
  );
  await source.stop();
  expect(records.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
  expect(seen.map((m) => m.body.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 51 }, (_, i) => i));
  const h = seen.find((m) => m.body.n === 50)!;
  expect(h.headers).toMatchObject({ Trace: 'one, two', 'Content-Encoding': 'identity' });
  expect(transportOf(h).headers?.values('Trace')).toEqual(['one', 'two']);
  expect(transportOf(h).subject).toBe(t.subject);
  expect(await t.consumerState()).toEqual({ pending: 0, ackPending: 0 });
});

it('dead-letters a poison corpus from a foreign producer byte for byte, and goes on in order', async () => {
  t = await testStream('poison');
  const corpus: Raw[] = [];
  POISON.forEach((data, i) => corpus.push({ data: JSON.stringify({ n: i }) }, { data }));
  corpus.push({ data: JSON.stringify({ n: POISON.length }) }); // after every poison body
  expect(await rawPublish(t.subject, corpus)).toBe(POISON.length * 2 + 1);
  const source = fromQueue<{ n: number }>(t.connector(), { maxInFlight: 4 });
  const records = await collectUntil(
    source.pipe(
      handle((m: Message<{ n: number }>) => m.body.n),
      ack(),
    ),
    (rs) => rs.length === POISON.length + 1,
  );
  await source.stop();
  expect(records.map((r) => r.settlement)).toEqual(Array(POISON.length + 1).fill('acked'));
  expect(source.metrics.snapshot().poison).toBe(POISON.length);
  const dead = await t.stored(`${t.stream}_dead`);
  const stored = dead.map((d) => Buffer.from(d.data).toString('hex')).sort();
  expect(stored).toEqual(POISON.map((p) => Buffer.from(p).toString('hex')).sort());
  for (const d of dead) {
    expect(d.header.get('x-rxq-dead-reason')).toBe('decode');
    expect(d.header.get('x-rxq-error-message')).not.toMatch(/not json|\[\[\[/);
  }
  await expect.poll(() => t!.consumerState(), { timeout: 5_000 }).toEqual({ pending: 0, ackPending: 0 });
});
