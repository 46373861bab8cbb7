import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ack, fixed, fromQueue, handle, retryWithResend, silentLogger } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { afterEach, expect, it } from 'vitest';
import type { AmqpDelivery } from '../src/index.js';
import { BROKER_URL, testQueue, type TestQueue } from './helpers.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./fixtures/pika_headers.py', import.meta.url));

/** A python3 that imports pika (Debian's python3-pika installs into /usr/bin/python3's path). */
async function pythonWithPika(): Promise<string> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      await run(python, ['-c', 'import pika']);
      return python;
    } catch {
      // try the next one
    }
  }
  throw new Error('no python3 with pika: apt-get install -y python3-pika (see .ci/run)');
}

interface PikaField {
  readonly tag: string;
  readonly hex: string;
  readonly pika: unknown;
}
interface PikaMessage {
  readonly headers: Record<string, PikaField>;
  readonly [property: string]: unknown;
}

async function pika(...args: string[]): Promise<PikaMessage | null> {
  const python = await pythonWithPika();
  const { stdout } = await run(python, [SCRIPT, ...args]);
  return stdout.trim() === '' ? null : (JSON.parse(stdout) as PikaMessage | null);
}

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const TS = BigInt(Date.UTC(2026, 10, 25, 12) / 1000);

it('a resent and dead-lettered copy carries every header pika wrote, with its AMQP type, byte for byte', async () => {
  t = await testQueue('pika');
  const control = `${t.queue}.control`;
  const ch = await t.admin.createChannel();
  await ch.assertQueue(control, { durable: true });
  try {
    await pika('publish', BROKER_URL, t.queue, control);
    // First delivery fails and is resent (a copy), the copy fails and is dead-lettered (a copy of the copy).
    const source = fromQueue(t.connector(), { maxInFlight: 4 });
    const attempts: number[] = [];
    const done = collectUntil(
      source.pipe(
        handle((m) => {
          attempts.push(m.attempt);
          throw new Error('rejected on purpose');
        }),
        retryWithResend({ maxAttempts: 2, backoff: fixed({ delayMs: 0 }) }),
        ack(),
      ),
      (records) => records.length === 2,
    );
    await done;
    await source.stop();
    expect(attempts).toEqual([1, 2]);

    const original = await pika('read', BROKER_URL, control);
    const copy = await pika('read', BROKER_URL, `${t.queue}.dead`);
    expect(original).not.toBeNull();
    expect(copy).not.toBeNull();
    const keys = Object.keys(original!.headers).filter((k) => !k.startsWith('x-rxq-'));
    expect(keys).toHaveLength(20);
    for (const key of keys) {
      const a = original!.headers[key]!;
      const b = copy!.headers[key];
      // A longstr that is not UTF-8 can only be written by amqplib as a byte array: same bytes, tag x.
      const tag = key === 'not_utf8' ? 'x' : a.tag;
      expect({ key, tag: b?.tag, hex: b?.hex }).toEqual({ key, tag, hex: a.hex });
    }
    // What pika reads back, as a user of pika would see it.
    expect(copy!.headers.int).toMatchObject({ tag: 'I', pika: -7 });
    expect(copy!.headers.long).toMatchObject({ tag: 'l', pika: 2 ** 62 + 1 });
    expect(copy!.headers.long!.hex).toBe('4000000000000001');
    expect(copy!.headers.dec).toMatchObject({ tag: 'D', pika: '-1.5' });
    expect(copy!.headers.table!.pika).toEqual({ a: 1, nested: { deep: -7, x: -300 } });
    expect(copy!.headers['x-rxq-dead-reason']).toMatchObject({ tag: 'S', pika: 'max-attempts' });
    expect(copy!.headers['x-rxq-attempt']).toMatchObject({ pika: '2' });
    for (const property of ['contentType', 'messageId', 'correlationId', 'appId', 'type', 'priority', 'timestamp'])
      expect({ property, value: copy![property] }).toEqual({ property, value: original![property] });
    expect(copy!.deliveryMode).toBe(2);
  } finally {
    await ch.deleteQueue(control);
    await ch.close();
  }
});

it('shows the properties and typed headers in transport, and as strings only what text says exactly', async () => {
  t = await testQueue('pika.transport');
  await pika('publish', BROKER_URL, t.queue);
  const session = await t.connector().open({
    maxInFlight: 4,
    lost: () => undefined,
    logger: silentLogger,
    inFlight: 0,
    settled: () => Promise.resolve(),
  });
  let d: AmqpDelivery | undefined;
  try {
    for (let i = 0; i < 20 && d === undefined; i++) [d] = await session.receive(4);
    expect(d).toBeDefined();
    const { transport, headers } = d!;
    expect(transport).toMatchObject({
      contentType: 'application/json',
      correlationId: 'corr-1',
      messageId: 'msg-1',
      appId: 'pika-test',
      type: 'order.created',
      priority: 3,
      timestamp: 1764072000,
      replyTo: 'replies',
      deliveryMode: 2,
      redelivered: false,
      exchange: '',
      routingKey: t.queue,
      headerTypes: 'exact',
    });
    const h = transport.headers;
    expect(h.int).toEqual({ type: 'int32', value: -7 });
    expect(h.byte).toEqual({ type: 'int8', value: -7 });
    expect(h.ubyte).toEqual({ type: 'uint8', value: 200 });
    expect(h.short).toEqual({ type: 'int16', value: -300 });
    expect(h.ushort).toEqual({ type: 'uint16', value: 60000 });
    expect(h.uint).toEqual({ type: 'uint32', value: 4_000_000_000 });
    expect(h.long).toEqual({ type: 'int64', value: 2n ** 62n + 1n });
    expect(h.long_neg).toEqual({ type: 'int64', value: -(2n ** 53n) - 3n });
    expect(h.float).toEqual({ type: 'float', value: Math.fround(0.1) });
    expect(h.double).toEqual({ type: 'double', value: Math.PI });
    expect(h.dec).toEqual({ type: 'decimal', value: { places: 1, digits: -15 } });
    expect(h.ts).toEqual({ type: 'timestamp', value: TS });
    expect(h.bool).toEqual({ type: 'boolean', value: true });
    expect(h.none).toEqual({ type: 'void', value: null });
    expect(h.bytes).toEqual({ type: 'bytes', value: Buffer.from('00ff62696e', 'hex') });
    expect(h.not_utf8).toMatchObject({ type: 'string', bytes: Buffer.from('fffe6f6b', 'hex') });
    expect(h.table).toEqual({
      type: 'table',
      value: {
        a: { type: 'int32', value: 1 },
        nested: {
          type: 'table',
          value: { deep: { type: 'int32', value: -7 }, x: { type: 'int16', value: -300 } },
        },
      },
    });
    expect(h.array?.type).toBe('array');
    expect(headers).toEqual({
      int: '-7',
      long: '4611686018427387905',
      long_neg: '-9007199254740995',
      str: 'h\u00e9llo',
      utf8_bytes: 'plain',
      bool: 'true',
      dec: '-1.5',
      ts: String(TS),
      byte: '-7',
      ubyte: '200',
      short: '-300',
      ushort: '60000',
      uint: '4000000000',
      float: String(Math.fround(0.1)),
      double: String(Math.PI),
      'x-rxq-attempt': '1',
    });
    await session.ack(d!);
  } finally {
    await session.close();
  }
});
