import { describe, expect, it } from 'vitest';
import { exponential, fixed } from './backoff.js';
import { codec, json } from './codec.js';
import type { Connector, Delivery } from './connector.js';
import { consume } from './consume.js';
import { fromQueue } from './fromQueue.js';
import { ack } from './operators/ack.js';
import { chunk } from './operators/chunk.js';
import { handle } from './operators/handle.js';
import { retryWithResend } from './operators/retryWithResend.js';
import { schemaCodec } from './schemaCodec.js';
import { shutdownSignal } from './shutdown.js';
import { stderrLogger } from './stderrLogger.js';
import { batcher } from './kit/batcher.js';
import { fakeMessage } from './testing/fakeMessage.js';
import { invalidOption } from './testing/invalidOption.js';

/** A connector that is never opened: these tests only construct. */
const connector = (): Connector<Delivery, number> => ({ name: 'unopened', open: () => new Promise(() => undefined) });
const anySchema = { '~standard': { version: 1 as const, vendor: 'x', validate: (v: unknown) => ({ value: v }) } };

describe('typos are errors: every options object rejects unknown names, naming the closest one', () => {
  const cases: [string, () => unknown, string, string | undefined][] = [
    ['fromQueue', () => fromQueue(connector(), { maxInflight: 5 } as never), 'maxInflight', 'maxInFlight'],
    ['fromQueue', () => fromQueue(connector(), { drainTimeout: 5 } as never), 'drainTimeout', 'drainTimeoutMs'],
    [
      'fromQueue.reconnect',
      () => fromQueue(connector(), { reconnect: { maxMS: 5 } } as never),
      'reconnect.maxMS',
      'reconnect.maxMs',
    ],
    [
      'fromQueue.reconnect',
      () => fromQueue(connector(), { reconnect: { retries: 5 } } as never),
      'reconnect.retries',
      'reconnect.maxRetries',
    ],
    ['handle', () => handle(() => 1, { concurency: 4 } as never), 'concurency', 'concurrency'],
    ['handle', () => handle(() => 1, { timeout: 4 } as never), 'timeout', 'timeoutMs'],
    ['chunk', () => chunk({ maxWait: 4 } as never), 'maxWait', 'maxWaitMs'],
    ['retryWithResend', () => retryWithResend({ maxAttempts: 3, maxAttempt: 3 } as never), 'maxAttempt', 'maxAttempts'],
    ['retryWithResend', () => retryWithResend({ maxAttempts: 3, backof: fixed() } as never), 'backof', 'backoff'],
    ['ack', () => ack({ requeu: false } as never), 'requeu', 'requeue'],
    ['ack', () => ack({ maxAttempt: 2 } as never), 'maxAttempt', 'maxAttempts'],
    ['consume', () => consume(connector(), () => 1, { concurency: 2 } as never), 'concurency', 'concurrency'],
    ['consume', () => consume(connector(), () => 1, { maxInflight: 2 } as never), 'maxInflight', 'maxInFlight'],
    [
      'consume.reconnect',
      () => consume(connector(), () => 1, { reconnect: { initalMs: 2 } } as never),
      'reconnect.initalMs',
      'reconnect.initialMs',
    ],
    ['exponential', () => exponential({ initalMs: 1 } as never), 'initalMs', 'initialMs'],
    ['exponential', () => exponential({ max: 1 } as never), 'max', 'maxMs'],
    ['fixed', () => fixed({ delay: 1 } as never), 'delay', 'delayMs'],
    ['shutdownSignal', () => shutdownSignal({ signal: ['SIGTERM'] } as never), 'signal', 'signals'],
    [
      'codec',
      () => codec({ name: 'x', decode: (p: unknown) => p, encoder: () => '' } as never),
      'codec.encoder',
      'codec.encode',
    ],
    ['schemaCodec', () => schemaCodec(anySchema, { codecs: json } as never), 'codecs', 'codec'],
    ['stderrLogger', () => stderrLogger({ levl: 'info' } as never), 'levl', 'level'],
    ['batcher', () => batcher({ flush: async () => undefined, maxSise: 5 } as never), 'maxSise', 'maxSize'],
    ['fakeMessage', () => fakeMessage('a', { atempt: 2 } as never), 'atempt', 'attempt'],
    [
      'fromQueue, far from any name',
      () => fromQueue(connector(), { zzzzzzzzzzzz: 1 } as never),
      'zzzzzzzzzzzz',
      undefined,
    ],
  ];
  for (const [where, make, option, suggestion] of cases) {
    it(`${where}: ${option}`, () => {
      const error = invalidOption(make);
      expect(error.option).toBe(option);
      expect(error.code).toBe('INVALID_OPTION');
      if (suggestion === undefined) expect(error.message).not.toContain('did you mean');
      else expect(error.message).toContain(`did you mean \`${suggestion}\``);
    });
  }

  it('known names still pass', () => {
    expect(() =>
      fromQueue(connector(), {
        maxInFlight: 1,
        reconnect: { initialMs: 1, maxMs: 2, maxRetries: 3 },
        drainTimeoutMs: 1,
        closeTimeoutMs: 1,
      }),
    ).not.toThrow();
    expect(() => ack({ requeue: true, maxAttempts: 3, backoff: fixed() })).not.toThrow();
    expect(() => exponential({ initialMs: 1, maxMs: 2, factor: 2, jitter: 0, random: Math.random })).not.toThrow();
  });
});
