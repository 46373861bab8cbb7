/**
 * Settlement writes that coalesce: items added in one event-loop turn, and all those added while
 * a write is in flight, go in the next single write. At most one write is in flight, so a slow
 * database never builds a queue of small writes: the batch grows instead, and the lag between a
 * settlement and its write stays one round trip.
 */
export class Coalescer<T> {
  private items: T[] = [];
  private current: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  private writing: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxSize: number,
  ) {}

  /** Adds an item; resolves (or rejects) with the write it goes in. */
  add(item: T): Promise<void> {
    this.items.push(item);
    if (this.current === undefined) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.current = { promise, resolve, reject };
    }
    const { promise } = this.current;
    if (this.writing === undefined && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.run();
      });
    }
    return promise;
  }

  private run(): void {
    if (this.writing !== undefined || this.items.length === 0 || this.current === undefined) return;
    const batch = this.items.splice(0, this.maxSize);
    const waiter = this.current;
    if (this.items.length === 0) this.current = undefined;
    this.writing = this.write(batch).then(waiter.resolve, waiter.reject);
    void this.writing.then(() => {
      this.writing = undefined;
      this.run();
    });
  }

  /** Writes what is waiting and resolves when nothing is left to write. */
  async flush(): Promise<void> {
    this.run();
    while (this.writing !== undefined) {
      await this.writing;
      this.run();
    }
  }
}
