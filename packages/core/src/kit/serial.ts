/** Operations run one after another; see {@link serial}. */
export interface Serial {
  /** Runs `op` once every operation handed in before it has ended; resolves (or rejects) with it. */
  run<R>(op: () => R | PromiseLike<R>): Promise<R>;
  /** Resolves when every operation handed in so far has ended. Never rejects. */
  idle(): Promise<void>;
}

/**
 * A serial chain: operations run one at a time, in the order given, and a failed one does not
 * stop the next. For broker calls that must not overlap (commits, one channel's writes).
 *
 * @example
 * const commits = serial();
 * void commits.run(() => consumer.commitOffsets(offsets));
 * await commits.idle(); // before close
 */
export function serial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<R>(op: () => R | PromiseLike<R>): Promise<R> {
      const result = tail.then(op);
      tail = result.catch(() => undefined);
      return result;
    },
    async idle(): Promise<void> {
      let seen: Promise<unknown>;
      do {
        seen = tail;
        await seen;
      } while (seen !== tail);
    },
  };
}
