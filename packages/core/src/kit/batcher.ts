import { oneOf, positiveInt } from './validate.js';
import { rejectUnknownOptions } from '../options.js';

/**
 * When the next batch is written while one is being written:
 * - `serial`: batches close at the end of each event-loop turn (or when full) and are written one
 *   after another, in order (a broker that takes thousands per call: `XACK`, a script, a commit);
 * - `coalesce`: at most one write in flight; what comes meanwhile waits and goes in the next write,
 *   so a slow broker gets fewer, larger writes instead of a queue of small ones (a database);
 * - `parallel`: each batch is written as soon as it closes, without waiting for the one before
 *   (a broker with a small batch maximum, such as SQS's ten).
 */
export type BatchMode = 'serial' | 'coalesce' | 'parallel';

/** Where the items of the open batch wait: the caller's own structure (no object per item needed). */
export interface BatchBuffer<B> {
  /** How many items wait. */
  readonly size: number;
  /** Takes every waiting item as one batch and empties the buffer. */
  cut(): B;
}

/** Options of {@link BatchWriter}. */
export interface BatchWriterOptions<B> {
  readonly buffer: BatchBuffer<B>;
  /** Writes one batch to the broker. */
  readonly write: (batch: B) => Promise<unknown>;
  /** A batch closes at once when this many items wait. @default 1000 */
  readonly maxSize?: number;
  /** @default 'serial' */
  readonly mode?: BatchMode;
}

interface Waiter {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function attempt(write: () => Promise<unknown>): Promise<unknown> {
  try {
    return write();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Settlement batching for a connector whose buffer is its own: after adding an item to the
 * buffer, call {@link added}; the batch closes at the end of the event-loop turn or when
 * `maxSize` items wait, and is written as `mode` says. Every caller of a batch gets the promise of
 * that batch's write. {@link batcher} is the same over an array.
 *
 * @example
 * const acks: string[] = [];
 * const writer = new BatchWriter({ buffer: { get size() { return acks.length; }, cut: () => acks.splice(0) },
 *   write: (ids) => redis.xack(stream, group, ...ids) });
 * session.ack = (d) => (acks.push(d.id), writer.added());
 */
export class BatchWriter<B> {
  private readonly buffer: BatchBuffer<B>;
  private readonly write: (batch: B) => Promise<unknown>;
  private readonly maxSize: number;
  private readonly mode: BatchMode;
  /** The waiter of the batch being filled. */
  private open: Waiter | undefined;
  /** Closed batches not yet written (serial and coalesce). */
  private readonly queued: { batch: B; waiter: Waiter }[] = [];
  /** The write in flight (serial and coalesce). */
  private writing: Promise<void> | undefined;
  /** Writes in flight (parallel). */
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;
  private holds = 0;

  constructor(options: BatchWriterOptions<B>) {
    this.buffer = options.buffer;
    this.write = options.write;
    this.maxSize = options.maxSize ?? 1000;
    this.mode = options.mode ?? 'serial';
  }

  /** Call after adding one item to the buffer: resolves (or rejects) with the write it goes in. */
  added(): Promise<void> {
    const open = (this.open ??= waiter());
    if (this.buffer.size >= this.maxSize) this.close();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.endOfTurn);
    }
    return open.promise;
  }

  /**
   * While a read that will take the waiting items along is on its way, the end-of-turn write
   * waits for it (call {@link unhold} when it is back); a full batch is still written at once.
   */
  hold(): void {
    this.holds++;
  }

  unhold(): void {
    if (--this.holds === 0 && this.buffer.size > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  /**
   * Takes the open batch, to be written by the caller within another call (the next read); the
   * caller settles its callers' promise with `done`.
   */
  take(): { batch: B; done: (error?: unknown) => void } | undefined {
    const open = this.open;
    if (open === undefined || this.buffer.size === 0) return undefined;
    this.open = undefined;
    const batch = this.buffer.cut();
    return { batch, done: (error) => (error === undefined ? open.resolve() : open.reject(error)) };
  }

  /** Writes what waits now and resolves when every write in progress has ended. Never rejects. */
  async flush(): Promise<void> {
    this.holds = 0;
    this.close();
    for (;;) {
      if (this.writing) await this.writing;
      else if (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
      else if (this.queued.length > 0 || this.buffer.size > 0) this.close();
      else return;
    }
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    if (this.holds > 0) return;
    // Coalescing: what waits goes when the write in flight ends.
    if (this.mode === 'coalesce' && this.writing) return;
    this.close();
  };

  /** Closes the open batch and writes it, or queues it behind the write in flight. */
  private close(): void {
    const open = this.open;
    if (open !== undefined && this.buffer.size > 0) {
      this.open = undefined;
      const batch = this.buffer.cut();
      if (this.mode === 'parallel') {
        const written: Promise<void> = attempt(() => this.write(batch))
          .then(open.resolve, open.reject)
          .finally(() => this.inFlight.delete(written));
        this.inFlight.add(written);
        return;
      }
      this.queued.push({ batch, waiter: open });
    }
    this.next();
  }

  private next(): void {
    if (this.writing) return;
    const item = this.queued.shift();
    if (item === undefined) return;
    this.writing = attempt(() => this.write(item.batch))
      .then(item.waiter.resolve, item.waiter.reject)
      .then(() => {
        this.writing = undefined;
        if (this.queued.length > 0) this.next();
        else if (this.mode === 'coalesce' && this.holds === 0) this.close();
      });
  }
}

/** Options of {@link batcher}. */
export interface BatcherOptions<T> {
  /** Writes one batch to the broker (an `XACK` of many ids, a pipeline of `LREM`s, a commit). */
  readonly flush: (items: T[]) => Promise<void>;
  /** Flush at once when this many are waiting. @default 1000 */
  readonly maxSize?: number;
  /** When the next batch is written while one is being written. @default 'serial' */
  readonly mode?: BatchMode;
}

/** Collects settlements and writes them together; see {@link batcher}. */
export interface Batcher<T> {
  /** Adds an item; resolves (or rejects) with the batch it is written in. */
  add(item: T): Promise<void>;
  /** Writes what is waiting now and waits for every write in progress. */
  flush(): Promise<void>;
}

/**
 * A settlement batcher for connector authors: items added in the same turn of the event loop (or
 * up to `maxSize`) are written in one call, so a thousand acks cost one round trip. By default
 * writes run one after another, in order; `mode` says otherwise (see {@link BatchMode}).
 *
 * @example
 * const acks = batcher<string>({ flush: (ids) => redis.xack(stream, group, ...ids).then(() => undefined) });
 * session.ack = (d) => acks.add(d.id);
 */
export function batcher<T>(options: BatcherOptions<T>): Batcher<T> {
  rejectUnknownOptions(options, ['flush', 'maxSize', 'mode']);
  const maxSize = positiveInt('maxSize', options.maxSize ?? 1000);
  const mode = oneOf('mode', options.mode, ['serial', 'coalesce', 'parallel'], 'serial');
  let items: T[] = [];
  const writer = new BatchWriter<T[]>({
    buffer: {
      get size() {
        return items.length;
      },
      cut() {
        const batch = items;
        items = [];
        return batch;
      },
    },
    write: options.flush,
    maxSize,
    mode,
  });
  return {
    add(item) {
      items.push(item);
      return writer.added();
    },
    flush: () => writer.flush(),
  };
}
