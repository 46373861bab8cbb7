import { InvalidOptionError, publishHeaders, rejectUnknownOptions } from '@rxq/core';
import { wakeOrTimeout } from '@rxq/core/kit';
import { Timeout } from './timeout.js';

/** Options of {@link MemoryQueue.pull} and {@link MemoryQueue.pullMany}. */
export interface PullOptions {
  /**
   * How long to wait. `0` means "what is there now, or `Timeout`".
   * @default Infinity (wait until items arrive)
   */
  readonly timeoutMs?: number;
}

/** Options of {@link MemoryQueue.push}. */
export interface PushOptions {
  /**
   * Headers the message carries, as a broker's would: the source shows them as
   * `message.headers`, and every copy rxq makes (resend, requeue, dead letter, release) keeps them.
   * @default none
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Per-item delivery facts that a plain `push` leaves at their defaults. @internal */
export interface Envelope {
  readonly attempt: number;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Waiter {
  readonly want: number;
  readonly min: number;
  readonly resolve: () => void;
}

/**
 * A lean in-process FIFO queue: `push`/`pushMany` in, `pull`/`pullMany` out, waiting when empty.
 * A ring buffer underneath, so a million items cost two arrays, not a million nodes.
 *
 * @example
 * const q = new MemoryQueue<string>();
 * q.pushMany(['a', 'b']);
 * await q.pull();                        // 'a'
 * await q.pullMany(10, { timeoutMs: 5 }); // ['b']
 */
export class MemoryQueue<T> {
  private values: (T | undefined)[] = new Array<T | undefined>(16);
  private envelopes: (Envelope | undefined)[] = new Array<Envelope | undefined>(16);
  private head = 0;
  private count = 0;
  private waiters: Waiter[] = [];

  /** Items waiting to be pulled. */
  get size(): number {
    return this.count;
  }

  /** Appends one item, with headers if given. */
  push(value: T, options?: PushOptions): void {
    let given: Readonly<Record<string, string>> | undefined;
    if (options !== undefined) {
      rejectUnknownOptions(options, ['headers']);
      const { headers } = options;
      if (headers !== undefined) {
        if (
          typeof headers !== 'object' ||
          headers === null ||
          Object.values(headers).some((v) => typeof v !== 'string')
        )
          throw new InvalidOptionError('headers', 'an object of string values', headers);
        given = headers;
      }
    }
    this.put(value, pushEnvelope(given), false);
    this.wake();
  }

  /** Appends items in order (with the trace context, if an instrumentation injects one). */
  pushMany(values: Iterable<T>): void {
    const envelope = pushEnvelope(undefined);
    for (const v of values) this.put(v, envelope, false);
    this.wake();
  }

  /**
   * The next item. Waits until one arrives; with `timeoutMs`, rejects with {@link Timeout} when
   * none came in time (`0`: only what is there now).
   */
  async pull(options: PullOptions = {}): Promise<T> {
    const [first] = await this.pullMany(1, options);
    return first as T;
  }

  /**
   * `n` items. Without a timeout it waits for all `n`. With `timeoutMs` it returns as soon as it
   * has `n`, else at the timeout with what it got, or rejects with {@link Timeout} if it got
   * nothing. `n = null` takes everything: `pullMany(null, { timeoutMs: 0 })` drains the queue.
   */
  async pullMany(n: number | null, options: PullOptions = {}): Promise<T[]> {
    rejectUnknownOptions(options, ['timeoutMs']);
    const timeoutMs = options.timeoutMs ?? Infinity;
    if (!(timeoutMs >= 0)) throw new InvalidOptionError('timeoutMs', 'a number ≥ 0 or Infinity', timeoutMs);
    if (n !== null && !(Number.isInteger(n) && n >= 1)) throw new InvalidOptionError('n', 'an integer ≥ 1 or null', n);
    const want = n ?? Infinity;
    if (want === Infinity && timeoutMs === Infinity)
      throw new InvalidOptionError('n', 'a number when no timeoutMs is given (null waits for ever)', n);
    // Wait for all n; a timeout cuts the wait short, and then what is there is returned.
    const min = want;
    const deadline = performance.now() + timeoutMs;
    // Another puller may take what a wake-up promised: wait again until enough is really there.
    while (this.count < min) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.wait(want, min, left);
    }
    if (this.count === 0) throw new Timeout(timeoutMs);
    return this.take(want).values;
  }

  /** @internal Append with delivery facts (resends), or put back at the front (releases). */
  put(value: T, envelope: Envelope | undefined, front: boolean): void {
    if (this.count === this.values.length) this.grow();
    const cap = this.values.length;
    let index: number;
    if (front) {
      this.head = (this.head - 1 + cap) % cap;
      index = this.head;
    } else index = (this.head + this.count) % cap;
    this.values[index] = value;
    this.envelopes[index] = envelope;
    this.count++;
  }

  /** @internal Take up to `max` items now, with their envelopes. */
  take(max: number): { values: T[]; envelopes: (Envelope | undefined)[] } {
    const envelopes = new Array<Envelope | undefined>(Math.min(max, this.count));
    const values = this.takeEach(max, (value, envelope, i) => {
      envelopes[i] = envelope;
      return value;
    });
    return { values, envelopes };
  }

  /** @internal Take up to `max` items now, each made into what `make` returns from it, its envelope and its index. */
  takeEach<D>(max: number, make: (value: T, envelope: Envelope | undefined, index: number) => D): D[] {
    const n = Math.min(max, this.count);
    const out = new Array<D>(n);
    const { values, envelopes } = this;
    const cap = values.length;
    let index = this.head;
    for (let i = 0; i < n; i++) {
      const value = values[index] as T;
      const e = envelopes[index];
      values[index] = undefined;
      envelopes[index] = undefined;
      out[i] = make(value, e, i);
      if (++index === cap) index = 0;
    }
    this.head = index;
    this.count -= n;
    return out;
  }

  /**
   * @internal Resolves when at least `min` items are there, or after `timeoutMs`, or when the
   * function handed to `onCancel` is called (the waiter then leaves the line at once).
   */
  async wait(want: number, min: number, timeoutMs: number, onCancel?: (cancel: () => void) => void): Promise<void> {
    let waiter: Waiter | undefined;
    const leave = (): void => void (this.waiters = this.waiters.filter((w) => w !== waiter));
    await wakeOrTimeout(
      timeoutMs,
      (wake) => {
        waiter = { want, min, resolve: wake };
        onCancel?.(() => (leave(), wake()));
        this.waiters.push(waiter);
      },
      leave,
    );
  }

  /** @internal Wakes waiters in order while there are items for them. */
  wake(): void {
    let available = this.count;
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0] as Waiter;
      if (available < waiter.min) break;
      this.waiters.shift();
      waiter.resolve();
      available -= Math.min(available, waiter.want);
    }
  }

  private grow(): void {
    const cap = this.values.length;
    const values = new Array<T | undefined>(cap * 2);
    const envelopes = new Array<Envelope | undefined>(cap * 2);
    for (let i = 0; i < this.count; i++) {
      values[i] = this.values[(this.head + i) % cap];
      envelopes[i] = this.envelopes[(this.head + i) % cap];
    }
    this.values = values;
    this.envelopes = envelopes;
    this.head = 0;
  }
}

/** A pushed item's envelope: the caller's headers plus the trace context an instrumentation adds. */
function pushEnvelope(headers: Readonly<Record<string, string>> | undefined): Envelope | undefined {
  const sent = publishHeaders(headers);
  return sent === undefined ? undefined : { attempt: 1, headers: sent === headers ? { ...headers } : sent };
}
