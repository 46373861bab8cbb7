import { ack, fromQueue, handle, silentLogger, type Logger, type Message } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { memory, MemoryQueue } from '@rxq/memory';
import { describe, expect, it } from 'vitest';
import { health, stuckHandlers, traced } from '../src/index.js';
import { meterWithReader } from './metricReader.js';
import { registerTracing } from './otel.js';

const { exporter } = registerTracing();

/** A logger that keeps its records. */
function recordingLogger() {
  const records: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void =>
      void records.push({ level, fields, message });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, records };
}

describe('stuckHandlers', () => {
  it('a handler that ignores its abort: slow, then stuck while it runs on, then ended; health unready meanwhile', async () => {
    exporter.reset();
    const { meter, points, shutdown } = meterWithReader();
    const { logger, records } = recordingLogger();
    const watch = stuckHandlers({ warnAfterMs: 40, timeoutMs: 100, checkEveryMs: 10, logger, meter });
    const queue = new MemoryQueue<string>();
    queue.push('secret body');
    queue.push('quick');
    const source = fromQueue(memory(queue, { name: 'jobs', pollMs: 10 }), { logger: silentLogger });
    const probe = health(source, { stuck: watch, maxStuck: 0 });
    let release = (): void => undefined;
    const stubborn = new Promise<void>((resolve) => (release = resolve));
    const handler = traced(
      watch.wrap(async (m: Message<string>) => {
        if (m.body === 'secret body') await stubborn; // never looks at its signal
      }),
    );
    const subscription = source
      .pipe(handle(handler, { timeoutMs: 100, concurrency: 1 }), ack({ requeue: false }))
      .subscribe();

    await until(() => watch.stuck === 1);
    expect(watch.running).toBe(1);
    // handle reported it failed at its timeout and freed its slot: the next message ran beside it.
    expect(source.metrics.snapshot().acked).toBe(1);
    expect(records.map((r) => r.message)).toEqual([
      'handler running long',
      'handler still running after its timeout: stuck',
    ]);
    expect(records[0]?.fields).toMatchObject({ source: 'jobs', attempt: 1 });
    expect(records[0]!.fields.runningMs as number).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify(records)).not.toContain('secret');
    const report = probe.check();
    expect(report).toMatchObject({ live: true, ready: false });
    expect(report.reason).toBe('1 handler stuck (limit 0)');
    expect((await points('rxq.handler.stuck'))[0]?.value).toBe(1);
    expect((await points('rxq.handler.slow'))[0]?.value).toBe(1);

    release();
    await until(() => watch.stuck === 0);
    expect(records.at(-1)?.message).toBe('stuck handler ended');
    expect(probe.check()).toEqual({ live: true, ready: true, reason: 'ok' });
    expect((await points('rxq.handler.stuck'))[0]?.value).toBe(0);
    await until(() => exporter.getFinishedSpans().length === 2);
    const span = exporter.getFinishedSpans().find((s) => s.events.length > 0);
    expect(span?.events.map((e) => e.name)).toEqual(['rxq.handler.slow', 'rxq.handler.stuck']);

    subscription.unsubscribe();
    watch.close();
    probe.close();
    await shutdown();
  });

  it('a handler that ends in time is neither slow nor stuck', async () => {
    const { logger, records } = recordingLogger();
    const watch = stuckHandlers({ warnAfterMs: 1_000, timeoutMs: 2_000, checkEveryMs: 5, logger });
    const queue = new MemoryQueue<number>();
    queue.pushMany([1, 2, 3]);
    const source = fromQueue(memory(queue, { name: 'quick', pollMs: 10 }), { logger: silentLogger });
    await collectUntil(
      source.pipe(handle(watch.wrap(async () => new Promise((resolve) => setTimeout(resolve, 20)))), ack()),
      (rs) => rs.length === 3,
    );
    expect(watch.running).toBe(0);
    expect(records).toEqual([]);
    watch.close();
  });

  it('rejects an unknown option', () => {
    expect(() => stuckHandlers({ warnAfter: 1 } as never)).toThrow(/warnAfter.*warnAfterMs/);
  });
});
