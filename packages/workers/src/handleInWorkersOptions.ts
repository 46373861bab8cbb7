import type { Logger } from '@rxq/core';
import type { SchedulerLike } from 'rxjs';

/** Options of {@link handleInWorkers}. */
export interface HandleInWorkersOptions<I> {
  /** Worker threads in the pool, started when the stream is subscribed. @default os.availableParallelism() */
  readonly threads?: number;
  /**
   * Items handed to the pool at once. Above `threads` the extra items wait in the pool's queue
   * (and their `timeoutMs` runs while they wait). @default threads
   */
  readonly concurrency?: number;
  /**
   * A handler still running after this fails with `HandlerTimeoutError` (retryable), and its
   * thread is terminated and replaced: a stuck handler cannot hold a thread. @default Infinity
   */
  readonly timeoutMs?: number;
  /** As `handle`'s `key`: items with the same key run one after another, in arrival order. @default none */
  readonly key?: (item: I) => unknown;
  /**
   * Passed (structured-cloned) to the module's `init(data, { threadId })` export, which every
   * thread runs once before its first message. @default undefined
   */
  readonly initData?: unknown;
  /** The module's export that handles an item. @default 'default' */
  readonly handlerExport?: string;
  /**
   * Move a body's bytes to the thread instead of copying them, where that is safe: the body is a
   * `Uint8Array` owning its whole buffer, shared with nothing else of the message (its `raw`).
   * A moved body reads as empty on the main thread afterwards. @default true
   */
  readonly transfer?: boolean;
  /**
   * Thread deaths in a row, with no item finished in between, after which the stream errors with
   * {@link WorkersGaveUpError} instead of failing more messages as crashed: a module that kills
   * its thread while loading would otherwise fail every message until each is dead-lettered. Off
   * by default, since a burst of messages that each crash a thread would trip it too.
   * @default Infinity
   */
  readonly maxConsecutiveCrashes?: number;
  /** Where crashes, timeouts and init failures are logged. @default silentLogger */
  readonly logger?: Logger;
  /** Scheduler for timeouts (tests). @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

export const KNOWN_OPTIONS = [
  'threads',
  'concurrency',
  'timeoutMs',
  'key',
  'initData',
  'handlerExport',
  'transfer',
  'maxConsecutiveCrashes',
  'logger',
  'scheduler',
] as const;
