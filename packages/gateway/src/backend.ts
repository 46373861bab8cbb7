/** One item taken from a served queue: the value, its delivery count, and what the backend needs to settle it. */
export interface Item {
  /** Any JSON value (memory: the value as pushed). */
  readonly value: unknown;
  /** 1 on first delivery, one more per redelivery (a nack, a lease that timed out, a client that went away). */
  readonly attempt: number;
  /** rxq headers carried with the item (resends); absent for a plain push. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The backend's own handle (a delivery), opaque to the gateway. */
  readonly handle?: unknown;
}

/** How {@link QueueBackend.putBack} returns items. */
export interface PutBack {
  /** Count it as one more attempt (a nack, an expired lease, a dropped client); a release does not. */
  readonly countAttempt: boolean;
  /** Wait this long before the item is visible again. @default 0 */
  readonly delayMs?: number;
  /** At the front (a release, a dropped lease: they were the oldest) or the back (a nack). */
  readonly front: boolean;
  /** Replace the item's headers (a resend's error headers). @default kept */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** A dead letter as the gateway hands it to a backend. */
export interface DeadLetterRecord {
  readonly reason: string;
  readonly error?: { readonly name: string; readonly message: string } | undefined;
  /** When it was given up, ms since the epoch. */
  readonly at: number;
}

/**
 * What the gateway needs of a queue it serves: push, take with a wait, and settle. The memory
 * backend is built in ({@link memoryBackend}); a backend over any rxq connector implements the same
 * five calls. Every item `take` returns is settled exactly once by the gateway: `ack`, `putBack`
 * or `deadLetter`.
 */
export interface QueueBackend {
  /** The queue's name as clients address it. */
  readonly name: string;
  /** Appends values in order. */
  push(values: readonly unknown[]): void | Promise<void>;
  /**
   * Up to `max` items (`Infinity`: all there are). Resolves with what is there now; when nothing is,
   * waits up to `timeoutMs` (`Infinity`: for ever, `0`: not at all) for at least one. Resolves with
   * none on a timeout or when `signal` aborts; an item taken after the abort is put back.
   */
  take(max: number, timeoutMs: number, signal?: AbortSignal): Promise<Item[]>;
  /** Done with: removes them for good. */
  ack(items: readonly Item[]): void | Promise<void>;
  /** Back to the queue. */
  putBack(items: readonly Item[], how: PutBack): void | Promise<void>;
  /** Moves an item to the queue's dead-letter destination. */
  deadLetter(item: Item, record: DeadLetterRecord): void | Promise<void>;
  /** Items waiting, where the backend knows it cheaply. */
  size?(): number;
  /** Releases what the backend holds open (connections, timers). */
  close?(): Promise<void>;
}
