/**
 * Settlements of one processing list written together: op letters and their arguments are
 * appended as they come (no object per settlement, and one blob on the wire rather than an argument
 * per element) and flushed once per event-loop turn, or at
 * `maxOps`, through one call; writes run one after another, in order. Resolves (or rejects) every
 * caller of a batch with that batch's write.
 */
export class OpBatch {
  private codes = '';
  private parts: Buffer[] = [];
  private lengths = '';
  private waiter: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private holds = 0;

  constructor(
    private readonly write: (args: [codes: string, blob: Buffer, lengths: string]) => Promise<unknown>,
    private readonly maxOps = 1000,
  ) {}

  /** Adds an op with one, two or three arguments. */
  add(code: string, a: Buffer, b?: Buffer, c?: number): Promise<void> {
    this.codes += code;
    this.push(a);
    if (b !== undefined) this.push(b);
    if (c !== undefined) this.push(Buffer.from(String(c)));
    if (this.waiter === undefined) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.waiter = { promise, resolve, reject };
    }
    const { promise } = this.waiter;
    if (this.codes.length >= this.maxOps) this.send();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.send);
    }
    return promise;
  }

  private push(part: Buffer): void {
    this.parts.push(part);
    this.lengths += this.lengths.length === 0 ? String(part.length) : ',' + String(part.length);
  }

  /**
   * While a read that will take the waiting settlements along is on its way, the end-of-turn write
   * waits for it (call {@link unhold} when it is back); a full batch is still written at once.
   */
  hold(): void {
    this.holds++;
  }

  unhold(): void {
    if (--this.holds === 0 && this.codes.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.send);
    }
  }

  /**
   * Takes what is waiting, to be written by the caller within another call (the next read); the
   * caller settles the batch's promise with `done`.
   */
  take(): { args: [string, Buffer, string]; done: (error?: unknown) => void } | undefined {
    const waiter = this.waiter;
    if (waiter === undefined || this.codes.length === 0) return undefined;
    const args = this.cut();
    this.waiter = undefined;
    return { args, done: (error) => (error === undefined ? waiter.resolve() : waiter.reject(error)) };
  }

  private cut(): [string, Buffer, string] {
    const args: [string, Buffer, string] = [this.codes, Buffer.concat(this.parts), this.lengths];
    this.codes = '';
    this.parts = [];
    this.lengths = '';
    return args;
  }

  /** Writes what is waiting and waits for every write in progress. */
  async flush(): Promise<void> {
    this.holds = 0;
    this.send();
    await this.chain;
  }

  private readonly send = (): void => {
    this.scheduled = false;
    if (this.holds > 0 && this.codes.length < this.maxOps) return;
    const waiter = this.waiter;
    if (waiter === undefined || this.codes.length === 0) return;
    // One blob and a list of lengths: three arguments, however many settlements.
    const args = this.cut();
    this.waiter = undefined;
    this.chain = this.chain.then(() => this.write(args)).then(waiter.resolve, waiter.reject);
  };
}
