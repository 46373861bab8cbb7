import { positiveInt } from './internal/validate.js';
import { rejectUnknownOptions } from './options.js';

/** Options of {@link batcher}. */
export interface BatcherOptions<T> {
  /** Writes one batch to the broker (an `XACK` of many ids, a pipeline of `LREM`s, a commit). */
  readonly flush: (items: T[]) => Promise<void>;
  /** Flush at once when this many are waiting. @default 1000 */
  readonly maxSize?: number;
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
 * up to `maxSize`) are written in one call, so a thousand acks cost one round trip. Writes run one
 * after another, in order.
 *
 * @example
 * const acks = batcher<string>({ flush: (ids) => redis.xack(stream, group, ...ids).then(() => undefined) });
 * session.ack = (d) => acks.add(d.id);
 */
export function batcher<T>(options: BatcherOptions<T>): Batcher<T> {
  rejectUnknownOptions(options, ['flush', 'maxSize']);
  const maxSize = positiveInt('maxSize', options.maxSize ?? 1000);
  let items: T[] = [];
  let current: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;

  const write = (): void => {
    scheduled = false;
    if (items.length === 0 || !current) return;
    const batch = items;
    const waiter = current;
    items = [];
    current = undefined;
    chain = chain.then(() => options.flush(batch)).then(waiter.resolve, (error: unknown) => waiter.reject(error));
  };

  return {
    add(item) {
      items.push(item);
      if (!current) {
        let resolve!: () => void;
        let reject!: (e: unknown) => void;
        const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
        current = { promise, resolve, reject };
      }
      const { promise } = current;
      if (items.length >= maxSize) write();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(write);
      }
      return promise;
    },
    async flush() {
      write();
      await chain;
    },
  };
}
