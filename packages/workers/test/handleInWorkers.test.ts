// The worker threads load the built entry (dist/workerEntry.js): these tests import the built
// package, which `tsc -b` produces before any test run.
import {
  ack,
  chunk,
  fromQueue,
  HandlerTimeoutError,
  InvalidOptionError,
  isRetryable,
  retryWithResend,
  type Message,
  type Outcome,
} from '@rxq/core';
import { fakeMessage } from '@rxq/core/testing';
import { MemoryQueue, memory } from '@rxq/memory';
import { from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  handleInWorkers,
  type HandleInWorkersOptions,
  WorkerCrashedError,
  WorkerHandlerError,
  WorkerInitError,
  WorkersGaveUpError,
} from '../dist/index.js';

const fixture = new URL('./fixtures/handler.mjs', import.meta.url);

type Out = Outcome<Message<unknown>, Record<string, unknown>>;
const run = (
  source: Observable<Message<unknown>>,
  options: HandleInWorkersOptions<Message<unknown>> = {},
): Promise<Out[]> =>
  lastValueFrom(source.pipe(handleInWorkers<Message<unknown>, Record<string, unknown>>(fixture, options), toArray()));
const msg = (id: string, body: unknown, extra: { key?: string; attempt?: number } = {}) =>
  fakeMessage<unknown>(id, { body, ...extra });
const valueOf = (o: Out | undefined): Record<string, unknown> => {
  if (!o?.ok) throw new Error(`expected a success, got ${String(o && !o.ok ? o.error : o)}`);
  return o.value;
};

describe('handleInWorkers', () => {
  it('hands the handler plain data and runs init once per thread before its first message', async () => {
    const items = Array.from({ length: 12 }, (_, i) => msg(`m${i}`, { op: 'echo' }, { key: `k${i % 3}`, attempt: 2 }));
    const outcomes = await run(from(items), { threads: 2, initData: { dsn: 'db://x' } });
    expect(outcomes).toHaveLength(12);
    const values = outcomes.map(valueOf);
    expect(values.map((v) => v['id']).sort()).toEqual(items.map((m) => m.id).sort());
    for (const v of values) {
      expect(v['initCalls']).toBe(1);
      expect(v['initData']).toEqual({ dsn: 'db://x' });
      expect(v['attempt']).toBe(2);
      expect(v['headers']).toEqual({});
      expect(String(v['key'])).toMatch(/^k[0-2]$/);
    }
    expect(new Set(values.map((v) => v['threadId'])).size).toBeLessThanOrEqual(2);
  });

  it("returns a handler's error with its name, message, stack, code and retryable", async () => {
    const [outcome] = await run(from([msg('t', { op: 'throw' })]), { threads: 1 });
    expect(outcome?.ok).toBe(false);
    const error = (outcome as { error: WorkerHandlerError }).error;
    expect(error).toBeInstanceOf(WorkerHandlerError);
    expect(error.name).toBe('PaymentDeclined');
    expect(error.message).toBe('card declined');
    expect(error.stack).toContain('handler.mjs');
    expect(error.code).toBe('DECLINED');
    expect(isRetryable(error)).toBe(false);
  });

  it('a crashed thread fails its message as retryable and is replaced', async () => {
    const outcomes = await run(from([msg('a', { op: 'echo' }), msg('b', { op: 'crash' }), msg('c', { op: 'echo' })]), {
      threads: 1,
    });
    expect(outcomes.map((o) => o.item.id)).toEqual(['a', 'b', 'c']);
    const crashed = outcomes[1] as { ok: false; error: unknown };
    expect(crashed.ok).toBe(false);
    expect(crashed.error).toBeInstanceOf(WorkerCrashedError);
    expect(isRetryable(crashed.error)).toBe(true);
    expect(String((crashed.error as Error).cause)).toContain('boom outside the handler');
    // The one thread of the pool died; a new one handled `c`.
    expect(valueOf(outcomes[2])['threadId']).not.toBe(valueOf(outcomes[0])['threadId']);
  });

  it('a handler past timeoutMs fails with HandlerTimeoutError and its thread is terminated and replaced', async () => {
    const started = performance.now();
    const outcomes = await run(from([msg('a', { op: 'echo' }), msg('h', { op: 'hang' }), msg('c', { op: 'echo' })]), {
      threads: 1,
      // Long enough for the replacement thread to start and load the module on a busy machine
      // (the wait for a thread counts against the next message's timeout).
      timeoutMs: 1_500,
    });
    expect(outcomes.map((o) => o.item.id)).toEqual(['a', 'h', 'c']);
    expect(outcomes[1]?.ok).toBe(false);
    expect((outcomes[1] as { error: unknown }).error).toBeInstanceOf(HandlerTimeoutError);
    // The hung thread spins forever: only its replacement can have handled `c`.
    expect(valueOf(outcomes[2])['threadId']).not.toBe(valueOf(outcomes[0])['threadId']);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("errors the stream with WorkerInitError when the module's init throws", async () => {
    const error: unknown = await run(from([msg('a', { op: 'echo' })]), {
      threads: 1,
      initData: { failInit: true },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkerInitError);
    const init = error as WorkerInitError;
    expect(init.stage).toBe('init');
    expect(init.code).toBe('WORKERS_INIT_FAILED');
    expect(init.message).toContain('RangeError: no database for thread');
    expect((init.cause as Error).stack).toContain('handler.mjs');
    expect(isRetryable(init)).toBe(false);
  });

  it('errors the stream with WorkerInitError when the module has no such handler', async () => {
    const source = from([msg('a', {})]).pipe(
      handleInWorkers(new URL('./fixtures/nohandler.mjs', import.meta.url), { threads: 1 }),
    );
    const error: unknown = await lastValueFrom(source).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkerInitError);
    expect((error as WorkerInitError).stage).toBe('load');
    expect((error as Error).message).toContain('no function export named "default"');
  });

  it('a module that kills its thread while loading: every message fails as crashed, or the stream gives up with maxConsecutiveCrashes', async () => {
    const exitAtLoad = new URL('./fixtures/exitAtLoad.mjs', import.meta.url);
    const items = () => Array.from({ length: 5 }, (_, i) => msg(`m${i}`, {}));
    const outcomes = await lastValueFrom(from(items()).pipe(handleInWorkers(exitAtLoad, { threads: 1 }), toArray()));
    expect(outcomes).toHaveLength(5);
    for (const o of outcomes) expect(!o.ok && o.error).toBeInstanceOf(WorkerCrashedError);

    const seen: Outcome<Message<unknown>>[] = [];
    const error: unknown = await new Promise((resolve) =>
      from(items())
        .pipe(handleInWorkers(exitAtLoad, { threads: 1, maxConsecutiveCrashes: 3 }))
        .subscribe({ next: (o) => seen.push(o), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(error).toBeInstanceOf(WorkersGaveUpError);
    expect((error as WorkersGaveUpError).code).toBe('WORKERS_GAVE_UP');
    expect(isRetryable(error)).toBe(false);
    expect((error as Error).cause).toBeInstanceOf(WorkerCrashedError);
    expect(seen).toHaveLength(2); // the third crash errors the stream instead of failing its message
  });

  it('keeps per-key order through the pool while different keys run in parallel', async () => {
    const keys = ['a', 'b', 'c', 'd'];
    const items = Array.from({ length: 24 }, (_, n) =>
      msg(`m${n}`, { op: 'sleep', ms: 20 + ((n * 7) % 21), n }, { key: keys[n % keys.length]! }),
    );
    const outcomes = await run(from(items), { threads: 2, concurrency: 4, key: (m: Message<unknown>) => m.key });
    expect(outcomes).toHaveLength(24);
    const runs = outcomes.map(valueOf) as { key: string; n: number; start: number; end: number; threadId: number }[];
    for (const key of keys) {
      const ofKey = runs.filter((r) => r.key === key);
      // Handled in arrival order, one after another.
      expect(ofKey.map((r) => r.n)).toEqual(items.filter((m) => m.key === key).map((m) => (m.body as { n: number }).n));
      for (let i = 1; i < ofKey.length; i++) expect(ofKey[i]!.start).toBeGreaterThanOrEqual(ofKey[i - 1]!.end);
    }
    // Both threads took part (the second has ~0.7 s of work to start up in, even on a busy machine).
    expect(new Set(runs.map((r) => r.threadId)).size).toBe(2);
  });

  it('handles chunk batches, and a PartialFailure thrown in a thread splits the outcome', async () => {
    const items = Array.from({ length: 6 }, (_, n) => msg(`m${n}`, { n }));
    const outcomes = await lastValueFrom(
      from(items).pipe(chunk({ size: 3, maxWaitMs: 50 }), handleInWorkers(fixture, { threads: 1 }), toArray()),
    );
    const ok = outcomes.filter((o) => o.ok).flatMap((o) => o.item.map((m) => m.id));
    const failed = outcomes.filter((o) => !o.ok);
    expect(ok.sort()).toEqual(['m0', 'm2', 'm4']);
    expect(failed.flatMap((o) => o.item.map((m) => m.id)).sort()).toEqual(['m1', 'm3', 'm5']);
    for (const f of failed) expect((f as { error: Error }).error.message).toBe('odd numbers refused');
  });

  it('moves a body that owns its bytes instead of copying it, and moves returned bytes back', async () => {
    const bytes = new Uint8Array(64 * 1024).fill(7);
    const owned = msg('owned', bytes);
    const copied = msg('copied', new Uint8Array(16).fill(1));
    const [moved] = await run(from([owned]), { threads: 1 });
    expect(valueOf(moved)['length']).toBe(64 * 1024);
    expect(bytes.byteLength).toBe(0); // detached on the main thread: it was moved, not copied
    const [kept] = await run(from([copied]), { threads: 1, transfer: false });
    expect(valueOf(kept)['length']).toBe(16);
    expect((copied.body as Uint8Array).byteLength).toBe(16);
    const [back] = await lastValueFrom(
      from([msg('b', { op: 'bytes-back' })]).pipe(
        handleInWorkers<Message<unknown>, Uint8Array>(fixture, { threads: 1 }),
        toArray(),
      ),
    );
    expect(back?.ok && Array.from(back.value)).toEqual([1, 2, 3]);
  });

  it('uses another export with handlerExport', async () => {
    const [outcome] = await lastValueFrom(
      from([msg('x', {})]).pipe(handleInWorkers(fixture, { threads: 1, handlerExport: 'other' }), toArray()),
    );
    expect(outcome?.ok && outcome.value).toBe('other:x');
  });

  it('rejects unknown options and a relative module path', () => {
    expect(() => handleInWorkers(fixture, { thread: 2 } as never)).toThrow(
      /Unknown option `thread`; did you mean `threads`/,
    );
    expect(() => handleInWorkers('./handler.mjs')).toThrow(InvalidOptionError);
    expect(() => handleInWorkers(fixture, { threads: 0 })).toThrow(InvalidOptionError);
    expect(() => handleInWorkers(fixture, { transfer: 'yes' } as never)).toThrow(/Invalid option `transfer`/);
  });

  it('composes with retryWithResend and ack on a real source: a crash is retried, nothing is lost', async () => {
    const queue = new MemoryQueue<unknown>();
    const N = 40;
    queue.pushMany(Array.from({ length: N }, (_, n) => (n % 10 === 3 ? { op: 'crash-once', n } : { op: 'echo', n })));
    const source = fromQueue(memory(queue), { maxInFlight: 16 });
    const settled: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const sub = source
        .pipe(handleInWorkers(fixture, { threads: 2 }), retryWithResend({ maxAttempts: 3 }), ack())
        .subscribe({
          next: (r) => {
            settled.push(r.settlement);
            if (settled.filter((s) => s === 'acked').length === N) {
              sub.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
    });
    expect(settled.filter((s) => s === 'acked')).toHaveLength(N);
    expect(settled.filter((s) => s === 'resent')).toHaveLength(4);
  });
});
