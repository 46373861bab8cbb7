/**
 * Settlements written ten at a time (the SQS batch maximum), each batch sent as soon as it is full
 * or at the end of the event-loop turn, without waiting for the batch before it: a settlement is
 * at the server one round trip after it was made, however many are being written, so what a crash
 * leaves handled but not deleted stays small. (Core's `batcher` writes one batch after another,
 * which suits a broker that takes thousands per call; SQS takes ten.)
 */
export class Batches<T> {
  private items: T[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly send: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.items.push(item);
    if (this.items.length >= 10) this.write();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.write());
    }
    return done;
  }

  /** Writes what is waiting and waits for every batch in flight. */
  async flush(): Promise<void> {
    this.write();
    await Promise.allSettled([...this.inFlight]);
  }

  private write(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    const sent = this.send(items).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }
}
