import { HEADERS, silentLogger, type Delivery, type OpenContext, type Session } from '@rxq/core';
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { publish, readListEntry, redis, redisSimpleList, redisStream } from '../src/index.js';
import { cleanup, client, uniqueName } from './helpers.js';
import { until } from '@rxq/core/testing';

// Producers rxq did not write (redis-cli), and copies read back raw: every field or header of the
// original must come back exactly, plus rxq's own.
const admin = client();
afterAll(() => admin.quit());
let stem = '';
afterEach(() => cleanup(admin, stem));

const context: OpenContext = {
  maxInFlight: 16,
  lost: () => undefined,
  logger: silentLogger,
  inFlight: 0,
  settled: () => Promise.resolve(),
};

/** redis-cli with `args`; `stdin` becomes its last argument (`-x`), bytes as they are. */
function cli(args: string[], stdin?: Buffer): string {
  return execFileSync('redis-cli', [...(stdin ? ['-x'] : []), ...args], { input: stdin })
    .toString()
    .trim();
}

async function receive<D extends Delivery>(session: Session<D>, count: number): Promise<D[]> {
  const got: D[] = [];
  const deadline = Date.now() + 10_000;
  while (got.length < count && Date.now() < deadline) got.push(...(await session.receive(count - got.length)));
  expect(got).toHaveLength(count);
  return got;
}

/** Closes a session; a test that failed with deliveries unsettled must not hang here. */
async function closed(session: { close(): Promise<void> }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([session.close(), new Promise((r) => (timer = setTimeout(r, 3_000)))]);
  clearTimeout(timer);
}

const BINARY = Buffer.from([0xff, 0x00, 0xfe, 0x0a, 0x80]);
const error = { name: 'Error', message: 'boom' };

/** [name, value] pairs of a stream entry's raw fields. */
const pairs = (fields: readonly Buffer[]): [string, Buffer][] => {
  const out: [string, Buffer][] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) out.push([fields[i]!.toString('latin1'), fields[i + 1]!]);
  return out;
};

describe('stream: resent and dead-lettered copies keep every field of a foreign entry', () => {
  async function foreignEntry(s: string): Promise<string> {
    // Repeated names, a field after the body, and a binary value (from stdin) no text view keeps.
    return cli(['XADD', s, '*', 'tag', 'a', 'body', '{"n":1}', 'tag', 'b', 'bin'], BINARY);
  }
  const original = (): [string, Buffer][] => [
    ['tag', Buffer.from('a')],
    ['body', Buffer.from('{"n":1}')],
    ['tag', Buffer.from('b')],
    ['bin', BINARY],
  ];

  it.each([
    ['at once', 0],
    ['after a delay (through the delayed set)', 30],
  ])('transport view, resend %s, then dead letter', async (_, delayMs) => {
    stem = uniqueName('xcopy');
    const s = stem;
    const id = await foreignEntry(s);
    const connector = redisStream(s, { group: 'g', blockMs: 50 });
    const session = await connector.open(context);
    try {
      const [first] = await receive(session, 1);
      expect(first!.transport.id).toBe(id);
      expect(first!.transport.fields.map(([k, v]) => [k.toString(), v])).toEqual(original());
      expect(first!.attempt).toBe(1);

      await session.resend(first!, { attempt: 2, delayMs, error });
      const [copy] = await receive(session, 1);
      const copied = copy!.transport.fields.map(([k, v]) => [k.toString(), v]);
      // The body field first, then the original's other fields as they were, then rxq's.
      expect(copied).toEqual([
        ['body', Buffer.from('{"n":1}')],
        ['tag', Buffer.from('a')],
        ['tag', Buffer.from('b')],
        ['bin', BINARY],
        [HEADERS.attempt, Buffer.from('2')],
        [HEADERS.errorName, Buffer.from('Error')],
        [HEADERS.errorMessage, Buffer.from('boom')],
      ]);
      expect(copy!.attempt).toBe(2);

      await session.deadLetter(copy!, { reason: 'max-attempts', error, at: 1_700_000_000_000 });
      const [[, fields]] = (await admin.xrangeBuffer(`${s}:dead`, '-', '+')) as [[Buffer, Buffer[]]];
      const dead = pairs(fields);
      expect(dead.slice(0, 5)).toEqual([
        ['body', Buffer.from('{"n":1}')],
        ['tag', Buffer.from('a')],
        ['tag', Buffer.from('b')],
        ['bin', BINARY],
        [HEADERS.attempt, Buffer.from('2')],
      ]);
      expect(Object.fromEntries(dead.slice(5).map(([k, v]) => [k, v.toString()]))).toEqual({
        [HEADERS.deadReason]: 'max-attempts',
        [HEADERS.deadAt]: '1700000000000',
        [HEADERS.origin]: s,
        [HEADERS.errorName]: 'Error',
        [HEADERS.errorMessage]: 'boom',
      });
    } finally {
      await closed(session);
    }
  });

  it('an entry with the body field alone: the same view and copies', async () => {
    stem = uniqueName('xlone');
    const s = stem;
    const id = cli(['XADD', s, '*', 'body'], BINARY);
    const session = await redisStream(s, { group: 'g', blockMs: 50 }).open(context);
    try {
      const [first] = await receive(session, 1);
      expect(first!.transport).toEqual({ kind: 'stream', id, fields: [[Buffer.from('body'), BINARY]] });
      await session.resend(first!, { attempt: 2, delayMs: 0 });
      const [copy] = await receive(session, 1);
      expect(copy!.transport.fields).toEqual([
        [Buffer.from('body'), BINARY],
        [Buffer.from(HEADERS.attempt), Buffer.from('2')],
      ]);
      await session.ack(copy!);
    } finally {
      await closed(session);
    }
  });

  it('release puts the entry back with all its fields and the same attempt', async () => {
    stem = uniqueName('xrelease');
    const s = stem;
    await foreignEntry(s);
    const session = await redisStream(s, { group: 'g', blockMs: 50 }).open(context);
    try {
      const [first] = await receive(session, 1);
      await session.release?.([first!]);
      const [again] = await receive(session, 1);
      expect(again!.transport.fields.map(([k, v]) => [k.toString(), v]).slice(0, 4)).toEqual([
        ['body', Buffer.from('{"n":1}')],
        ['tag', Buffer.from('a')],
        ['tag', Buffer.from('b')],
        ['bin', BINARY],
      ]);
      expect(again!.attempt).toBe(1);
      await session.ack(again!);
    } finally {
      await closed(session);
    }
  });
});

describe.each([
  ['reliable list', (q: string) => redis(q, { blockMs: 50 })],
  ['simple list', (q: string) => redisSimpleList(q, { blockMs: 50 })],
])('%s: copies keep the payload and every envelope header exactly', (_, make) => {
  it('a foreign RPUSH: the raw element, resent, then dead-lettered', async () => {
    stem = uniqueName('lcopy');
    const q = stem;
    cli(['RPUSH', q], BINARY);
    const session = await make(q).open(context);
    try {
      const [first] = await receive(session, 1);
      expect(first!.transport.element).toEqual(BINARY);
      expect(first!.transport.envelopeHeaders).toBeUndefined();
      expect(first!.payload).toEqual(BINARY);
      await session.resend(first!, { attempt: 2, delayMs: 0, error });
      const [copy] = await receive(session, 1);
      expect(copy!.payload).toEqual(BINARY);
      expect(copy!.transport.envelopeHeaders).toEqual({
        [HEADERS.attempt]: '2',
        [HEADERS.errorName]: 'Error',
        [HEADERS.errorMessage]: 'boom',
      });
      await session.deadLetter(copy!, { reason: 'max-attempts', error, at: 5 });
      await until(async () => (await admin.llen(`${q}:dead`)) === 1, { what: 'the dead letter', timeoutMs: 5_000 });
      const dead = readListEntry((await admin.lrangeBuffer(`${q}:dead`, 0, -1))[0]!);
      expect(dead.payload).toEqual(BINARY);
      expect(dead.headers).toMatchObject({ [HEADERS.attempt]: '2', [HEADERS.deadReason]: 'max-attempts' });
    } finally {
      await closed(session);
    }
  });

  it('an enveloped original: its headers (any text) travel exactly into the copies', async () => {
    stem = uniqueName('lenv');
    const q = stem;
    const headers = { tenant: 'acme', 'trace-id': '00-abc-01', note: 'ünïcødé ✓ "quoted" \\ \n', empty: '' };
    await publish(admin, q, { n: 1 }, { headers });
    const session = await make(q).open(context);
    try {
      const [first] = await receive(session, 1);
      // publish records the attempt beside the headers.
      expect(first!.transport.envelopeHeaders).toEqual({ ...headers, [HEADERS.attempt]: '1' });
      await session.resend(first!, { attempt: 2, delayMs: 20, error });
      const [copy] = await receive(session, 1);
      expect(copy!.transport.envelopeHeaders).toEqual({
        ...headers,
        [HEADERS.attempt]: '2',
        [HEADERS.errorName]: 'Error',
        [HEADERS.errorMessage]: 'boom',
      });
      await session.deadLetter(copy!, { reason: 'rejected', at: 5 });
      await until(async () => (await admin.llen(`${q}:dead`)) === 1, { what: 'the dead letter', timeoutMs: 5_000 });
      const dead = readListEntry((await admin.lrangeBuffer(`${q}:dead`, 0, -1))[0]!);
      expect(dead.headers).toMatchObject({ ...headers, [HEADERS.attempt]: '2', [HEADERS.deadReason]: 'rejected' });
      expect(JSON.parse(dead.payload.toString())).toEqual({ n: 1 });
    } finally {
      await closed(session);
    }
  });
});

describe('reliable list: a dead consumer’s messages come back with their headers exactly', () => {
  it('recovery (a Lua re-encode of the envelope) keeps every header and counts the attempt', async () => {
    stem = uniqueName('lrecover');
    const q = stem;
    const headers = { tenant: 'acme', path: 'a/b\\c', note: 'ünïcødé ✓ "q" \u2028', digits: '007', empty: '' };
    await publish(admin, q, { n: 1 }, { headers });
    cli(['RPUSH', q], BINARY);
    // A consumer that died holding both: registered, no heartbeat, its processing list.
    await admin.lmove(q, `${q}:processing:dead-1`, 'LEFT', 'RIGHT');
    await admin.lmove(q, `${q}:processing:dead-1`, 'LEFT', 'RIGHT');
    await admin.sadd(`${q}:consumers`, 'dead-1');
    const session = await redis(q, { blockMs: 50 }).open(context);
    try {
      const [enveloped, plain] = await receive(session, 2);
      expect(enveloped!.transport.envelopeHeaders).toEqual({ ...headers, [HEADERS.attempt]: '2' });
      expect(JSON.parse(enveloped!.payload.toString())).toEqual({ n: 1 });
      expect(plain!.payload).toEqual(BINARY);
      expect(plain!.transport.envelopeHeaders).toEqual({ [HEADERS.attempt]: '2' });
      await Promise.all([session.ack(enveloped!), session.ack(plain!)]);
    } finally {
      await closed(session);
    }
  });
});
