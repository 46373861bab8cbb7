/** A batch of settlements: one op letter each, and their arguments in order. */
export interface Ops<P = Buffer> {
  readonly codes: string;
  readonly parts: readonly P[];
}

/**
 * The batch as three script arguments, however many settlements: the ops, one blob of every
 * argument, and their lengths (the script splits the blob).
 */
export function packed(ops: Ops<Buffer>): [codes: string, blob: Buffer, lengths: string] {
  return [ops.codes, Buffer.concat(ops.parts), ops.parts.map((p) => p.length).join(',')];
}

/**
 * Settlements of one session written together: op letters and their arguments are appended as
 * they come (no object per settlement) and flushed once per event-loop turn, or at `maxOps`,
 * through one call; writes run one after another, in order. Resolves (or rejects) every caller of
 * a batch with that batch's write.
 */
export class OpBatch<P extends Buffer | string = Buffer> {
  private codes = '';
  private parts: P[] = [];
  private waiter: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private holds = 0;

  constructor(
    private readonly write: (ops: Ops<P>) => Promise<unknown>,
    private readonly maxOps = 1000,
  ) {}

  /** Adds an op with one, two or three arguments. */
  add(code: string, a: P, b?: P, c?: P): Promise<void> {
    this.codes += code;
    this.parts.push(a);
    if (b !== undefined) this.parts.push(b);
    if (c !== undefined) this.parts.push(c);
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
  take(): { ops: Ops<P>; done: (error?: unknown) => void } | undefined {
    const waiter = this.waiter;
    if (waiter === undefined || this.codes.length === 0) return undefined;
    const ops = this.cut();
    this.waiter = undefined;
    return { ops, done: (error) => (error === undefined ? waiter.resolve() : waiter.reject(error)) };
  }

  private cut(): Ops<P> {
    const ops: Ops<P> = { codes: this.codes, parts: this.parts };
    this.codes = '';
    this.parts = [];
    return ops;
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
    const ops = this.cut();
    this.waiter = undefined;
    this.chain = this.chain.then(() => this.write(ops)).then(waiter.resolve, waiter.reject);
  };
}
