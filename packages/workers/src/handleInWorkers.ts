import {
  handle,
  PartialFailure,
  fn as checkFn,
  nonNegative,
  opt,
  positiveInt,
  rejectUnknownOptions,
  silentLogger,
  errorInfo,
  InvalidOptionError,
  type HandleOptions,
  type HandlerContext,
  type Item,
  type Outcome,
} from '@rxq/core';
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { Observable, type OperatorFunction } from 'rxjs';
import { KNOWN_OPTIONS, type HandleInWorkersOptions } from './handleInWorkersOptions.js';
import { remoteError, WorkerCrashedError, WorkerInitError, WorkersGaveUpError } from './errors.js';
import type { PoolData } from './workerEntry.js';
import { toTask, type WorkerReply } from './wire.js';

const ENTRY = fileURLToPath(new URL('./workerEntry.js', import.meta.url));

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '')
    throw new InvalidOptionError('module', 'a file URL or an absolute path', module);
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  if (!isAbsolute(module)) throw new InvalidOptionError('module', 'a file URL or an absolute path', module);
  return pathToFileURL(module).href;
}

/**
 * Runs the handler exported by `module` in a pool of worker threads (piscina), so a CPU-bound
 * handler no longer blocks the event loop: the same contract as `handle`, with the handler in
 * another thread. Emits the same `Outcome`s, so `retryWithResend` and `ack` follow it as they
 * follow `handle`; settling stays on the main thread.
 *
 * The module exports the handler (`export default async (msg, { threadId }) => …`, or the
 * export named by `handlerExport`) and optionally `init(initData, { threadId })`, run once per
 * thread before its first message. The handler gets a {@link WorkerMessage} (plain data: id,
 * body, headers, attempt, source, key, partition, offset, timestamp), or an array of them after
 * `chunk`, and may throw `PartialFailure` with some of them.
 *
 * - A handler's error comes back as a {@link WorkerHandlerError} with the original's name,
 *   message, stack, `code` and `retryable`.
 * - A thread that dies fails the items it held with {@link WorkerCrashedError} (retryable) and is
 *   replaced; past `timeoutMs` a handler fails with `HandlerTimeoutError` and its thread is
 *   terminated and replaced.
 * - If the module cannot be loaded or its `init` throws, the stream errors with
 *   {@link WorkerInitError} (the source releases its messages): nothing can be handled until it is
 *   mended.
 * - On unsubscribe the pool is destroyed (running handlers' threads are terminated; their messages
 *   are released by the source as with `handle`).
 *
 * @example
 * fromQueue(redis('images'))
 *   .pipe(handleInWorkers(new URL('./resize.js', import.meta.url), { threads: 4, timeoutMs: 30_000 }), retryWithResend(), ack())
 *   .subscribe();
 */
export function handleInWorkers<I extends Item, R = unknown>(
  module: string | URL,
  options: HandleInWorkersOptions<I> = {},
): OperatorFunction<I, Outcome<I, R>> {
  rejectUnknownOptions(options, KNOWN_OPTIONS);
  const url = moduleUrl(module);
  const threads = opt(options.threads, availableParallelism(), (v) => positiveInt('threads', v));
  const concurrency = opt(options.concurrency, threads, (v) => positiveInt('concurrency', v));
  const timeoutMs = opt(options.timeoutMs, Infinity, (v) => nonNegative('timeoutMs', v, true));
  const handlerExport = opt(options.handlerExport, 'default', (v) => {
    if (typeof v === 'string' && v !== '') return v;
    throw new InvalidOptionError('handlerExport', 'an export name', v);
  });
  if (options.key !== undefined) checkFn('key', options.key);
  const transfer = opt(options.transfer, true, (v) => {
    if (typeof v === 'boolean') return v;
    throw new InvalidOptionError('transfer', 'a boolean', v);
  });
  const maxConsecutiveCrashes = opt(options.maxConsecutiveCrashes, Infinity, (v) =>
    positiveInt('maxConsecutiveCrashes', v, true),
  );
  const logger = options.logger ?? silentLogger;
  const timed = Number.isFinite(timeoutMs);
  const handleOptions: { -readonly [K in keyof HandleOptions<I>]: HandleOptions<I>[K] } = { concurrency };
  if (timed) handleOptions.timeoutMs = timeoutMs;
  if (options.key !== undefined) handleOptions.key = options.key;
  if (options.scheduler !== undefined) handleOptions.scheduler = options.scheduler;
  const data: PoolData = { moduleUrl: url, handlerExport, initData: options.initData };

  return (source) =>
    new Observable<Outcome<I, R>>((subscriber) => {
      const pool = new Piscina({
        filename: ENTRY,
        minThreads: threads,
        maxThreads: threads,
        idleTimeout: 2 ** 31 - 1,
        // 'async': a thread's event loop keeps running between tasks, so what `init` opened
        // (a connection, its timers) stays alive.
        atomics: 'async',
        workerData: data,
      });
      // A thread that fails while it holds no task: piscina replaces it; say so.
      pool.on('error', (error: unknown) =>
        logger.error({ error: errorInfo(error), module: url }, 'a worker thread failed between tasks'),
      );
      let failed = false;
      let crashesInARow = 0;
      /** Errors the stream once (the source releases what it holds), logging why. */
      const fail = (error: Error, fields: Record<string, unknown>): void => {
        if (failed) return;
        failed = true;
        logger.error({ module: url, ...fields }, error.message);
        subscriber.error(error);
      };

      const dispatch = async (item: I, context: HandlerContext): Promise<R> => {
        const { task, transferList } = toTask(item, transfer);
        let reply: WorkerReply;
        try {
          reply = (await pool.run(
            task,
            timed ? { signal: context.signal, transferList } : { transferList },
          )) as WorkerReply;
        } catch (error) {
          // Aborted by handle's timeout (already reported as HandlerTimeoutError) or by teardown.
          if (timed && context.signal.aborted) {
            logger.warn(
              { module: url, timeoutMs },
              'a handler ran past timeoutMs: its worker thread was terminated and is replaced',
            );
            throw error;
          }
          logger.warn(
            { module: url, error: errorInfo(error) },
            'a worker thread died: its messages fail as retryable, the thread is replaced',
          );
          const crashed = new WorkerCrashedError(error);
          if (++crashesInARow >= maxConsecutiveCrashes)
            fail(new WorkersGaveUpError(crashesInARow, crashed), { crashesInARow });
          throw crashed;
        }
        crashesInARow = 0;
        if (reply.t === 'ok') return reply.value as R;
        if (reply.t === 'failed') {
          const error = remoteError(reply.error);
          if (reply.failedIndexes && Array.isArray(item)) {
            const batch = item as readonly unknown[];
            throw new PartialFailure(
              reply.failedIndexes.map((i) => batch[i]) as ConstructorParameters<typeof PartialFailure>[0],
              error,
            );
          }
          throw error;
        }
        const error = new WorkerInitError(url, reply.stage, reply.error);
        fail(error, { stage: reply.stage, error: reply.error });
        throw error;
      };

      const inner = source.pipe(handle(dispatch, handleOptions)).subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        pool
          .destroy()
          .catch((error: unknown) => logger.warn({ error: errorInfo(error) }, 'the worker pool did not close cleanly'));
      };
    });
}
