import { filter, firstValueFrom, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ack,
  AuthenticationError,
  codec,
  ConnectionLostError,
  type Connector,
  consume,
  fromQueue,
  handle,
  json,
  type Logger,
  stderrLogger,
} from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void =>
      void lines.push({ level, message, fields });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const SECRET = 'ssn-123-45-6789';

describe('fromQueue logs what a human must know, never a body', () => {
  it('connect, reconnect with its cause, poison with its reason, drain start and end, close', async () => {
    const queue = new MemoryQueue<string>();
    queue.pushMany([`{"n":1,"ssn":"${SECRET}"`, JSON.stringify({ n: 2, ssn: SECRET })]);
    const inner = memory(queue, { codec: json, pollMs: 20 });
    let opens = 0;
    const flaky: Connector = {
      name: 'orders',
      defaultCodec: json,
      open: (context) => {
        if (++opens === 1) return Promise.reject(new ConnectionLostError('broker not reachable'));
        return inner.open(context);
      },
    };
    const { logger, lines } = capture();
    const stop = new Subject<void>();
    const source = fromQueue(flaky, { logger, stop, reconnect: { initialMs: 1, maxMs: 5 } });
    await collectUntil(
      source.pipe(
        handle(() => undefined),
        ack(),
      ),
      (rs) => {
        if (rs.length === 1) stop.next();
        return false;
      },
    );
    const seen = lines.map((l) => `${l.level} ${l.message}`);
    expect(seen).toEqual([
      'warn could not connect',
      'warn reconnecting',
      'info reconnected',
      'warn poison message dead-lettered',
      'info stopping: draining in-flight messages',
      'info drain ended',
      'info closed',
    ]);
    const reconnecting = lines[1]?.fields ?? {};
    expect(reconnecting).toMatchObject({ retry: 1 });
    expect(reconnecting['err']).toBeInstanceOf(ConnectionLostError);
    expect(lines[3]?.fields).toMatchObject({ reason: 'decode', id: '1' });
    // The codec's own error (JSON.parse quotes the body) is not in the log line.
    expect(lines[3]?.fields['err']).toMatchObject({ name: 'DecodeError', code: 'DECODE_FAILED' });
    expect((lines[3]?.fields['err'] as Error).cause).toBeUndefined();
    const text = JSON.stringify(lines, (_, v: unknown) =>
      v instanceof Error ? `${v.message} ${String((v.cause as Error | undefined)?.message)}` : v,
    );
    expect(text).not.toContain(SECRET);
  });

  it('a consumer that stops for good says so: an error line, onFatal, status$ and done', async () => {
    const refused: Connector = {
      name: 'payments',
      open: () => Promise.reject(new AuthenticationError('the broker refused the credentials')),
    };
    const { logger, lines } = capture();
    const fatal: unknown[] = [];
    const consumer = consume(refused, () => undefined, { logger, onFatal: (e) => fatal.push(e) });
    const closed = await firstValueFrom(consumer.status$.pipe(filter((s) => s.status === 'closed')));
    await expect(consumer.done).rejects.toBeInstanceOf(AuthenticationError);
    expect(closed.error).toBeInstanceOf(AuthenticationError);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(AuthenticationError);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.message)).toEqual(['the source stopped for good', 'the consumer stopped for good']);
    expect(errors[1]?.fields['err']).toBeInstanceOf(AuthenticationError);
  });

  it('a codec error that quotes the body reaches neither the log nor the dead letter', async () => {
    const queue = new MemoryQueue<string>();
    queue.push(`{"ssn":"${SECRET}"}`);
    const leaky = codec<unknown>({
      name: 'leaky',
      decode: (payload) => {
        throw new SyntaxError(`cannot read ${String(payload)}`);
      },
    });
    const connector = memory(queue, { codec: leaky, pollMs: 20 });
    const { logger, lines } = capture();
    const text: string[] = [];
    const stderr = stderrLogger({ level: 'debug', write: (l) => text.push(l) });
    const both: Logger = {
      debug: (f, m) => (logger.debug(f, m), stderr.debug(f, m)),
      info: (f, m) => (logger.info(f, m), stderr.info(f, m)),
      warn: (f, m) => (logger.warn(f, m), stderr.warn(f, m)),
      error: (f, m) => (logger.error(f, m), stderr.error(f, m)),
    };
    const source = fromQueue(connector, { logger: both });
    const sub = source.subscribe();
    const [letter] = await connector.deadLetters.pullMany(1);
    sub.unsubscribe();
    expect(letter?.reason).toBe('decode');
    expect(JSON.stringify(letter?.error)).not.toContain(SECRET);
    const poison = lines.find((l) => l.message === 'poison message dead-lettered');
    expect((poison?.fields['err'] as Error).cause).toBeUndefined();
    expect(text.join('')).toContain('poison message dead-lettered');
    expect(text.join('')).not.toContain(SECRET);
  });
});
