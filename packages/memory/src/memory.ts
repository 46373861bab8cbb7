import {
  identity,
  InvalidOptionError,
  rejectUnknownOptions,
  resendHeaders,
  type Codec,
  type Connector,
  type DeadLetterRequest,
  type Delivery,
  type ResendRequest,
  type Session,
} from '@rxq/core';
import { MemoryQueue, type Envelope } from './memoryQueue.js';

/** A message given up by a memory source, with why. */
export interface DeadLetter<T> {
  readonly value: T;
  /** `max-attempts`, `decode`, `rejected`, `non-retryable`, or a user's reason. */
  readonly reason: string;
  readonly error?: { readonly name: string; readonly message: string };
  readonly attempt: number;
  readonly headers: Readonly<Record<string, string>>;
  /** When, ms since the epoch. */
  readonly at: number;
}

/** Options of {@link memory}. `B` is the body type: the pushed value's type `T` unless a codec says otherwise. */
export interface MemorySourceOptions<T, B = T> {
  /** Where dead letters go. @default a new queue, at `connector.deadLetters` */
  readonly deadLetter?: MemoryQueue<DeadLetter<T>>;
  /**
   * A message unsettled this long goes back to the queue with `attempt + 1` (its later settlement
   * does nothing), as a broker's visibility timeout would. @default Infinity (never)
   */
  readonly visibilityTimeoutMs?: number;
  /** The source's name in messages, metrics and dead letters. @default 'memory' */
  readonly name?: string;
  /**
   * How values are decoded, when the queue holds strings or bytes; its type is the body type.
   * @default identity (the value as pushed: bodies of type `T`)
   */
  readonly codec?: Codec<B>;
  /** Longest a `receive` waits on an empty queue before it reports nothing. @default 1_000 */
  readonly pollMs?: number;
}

/** The memory connector, with its dead-letter queue. Its bodies are of type `B`. */
export interface MemoryConnector<T, B = T> extends Connector<MemoryDelivery<T>, B> {
  readonly deadLetters: MemoryQueue<DeadLetter<T>>;
}

/**
 * What a memory source delivers: the pushed value and its headers (given to `push`, or written by
 * rxq). Nothing else travels beside the body in a process, so `transport` is `undefined`.
 */
export interface MemoryDelivery<T = unknown> extends Delivery {
  readonly payload: T;
  readonly transport: undefined;
}

/** What the deliveries of one session share: the source's name, and the cache of {@link Entry.id}. */
class SessionShared {
  /** `sequence / 1000` of the last id made, and its decimal string. */
  thousands = -1;
  thousandsText = '';
  constructor(readonly source: string) {}
}

/** `i`, three digits, zero-padded: the last three digits of an id. */
const LAST_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

class Entry<T> implements MemoryDelivery<T> {
  constructor(
    readonly sequence: number,
    readonly payload: T,
    readonly attempt: number,
    readonly headers: Readonly<Record<string, string>> | undefined,
    private readonly shared: SessionShared,
  ) {}
  /**
   * The sequence number in decimal, made when asked. Consecutive ids share their leading digits,
   * kept per session, so that most cost one short concatenation rather than a number conversion.
   */
  get id(): string {
    const { sequence, shared } = this;
    if (sequence < 1000) return String(sequence);
    const thousands = Math.floor(sequence / 1000);
    if (thousands !== shared.thousands) {
      shared.thousands = thousands;
      shared.thousandsText = String(thousands);
    }
    return shared.thousandsText + (LAST_DIGITS[sequence % 1000] as string);
  }
  get source(): string {
    return this.shared.source;
  }
  get transport(): undefined {
    return undefined;
  }
}

/** A delivery of a source with a visibility timeout. */
class TimedEntry<T> extends Entry<T> {
  /** Past its visibility timeout and put back: settling it does nothing. */
  expired = false;
  constructor(
    sequence: number,
    payload: T,
    attempt: number,
    headers: Readonly<Record<string, string>> | undefined,
    shared: SessionShared,
    readonly deadline: number,
  ) {
    super(sequence, payload, attempt, headers, shared);
  }
}

/**
 * A source over an in-process {@link MemoryQueue}: at-least-once within the process. `ack`
 * removes, `nack` requeues with `attempt + 1`, resend pushes a copy after its delay, dead letters
 * go to `deadLetters`, and unsettled messages go back to the front of the queue on unsubscribe.
 * Bodies are the pushed values (codec `identity`); pass a codec to decode strings or bytes.
 *
 * @example
 * const queue = new MemoryQueue<Order>();
 * fromQueue(memory(queue)).pipe(handle(ship, { concurrency: 8 }), retryWithResend({ maxAttempts: 3 }), ack()).subscribe();
 */
export function memory<T, B>(
  queue: MemoryQueue<T>,
  options: MemorySourceOptions<T, B> & { readonly codec: Codec<B> },
): MemoryConnector<T, B>;
export function memory<T>(queue: MemoryQueue<T>, options?: MemorySourceOptions<T, T>): MemoryConnector<T, T>;
export function memory<T, B>(queue: MemoryQueue<T>, options: MemorySourceOptions<T, B> = {}): MemoryConnector<T, B> {
  if (!(queue instanceof MemoryQueue)) throw new InvalidOptionError('queue', 'a MemoryQueue', queue);
  rejectUnknownOptions(options, ['deadLetter', 'visibilityTimeoutMs', 'name', 'codec', 'pollMs']);
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? Infinity;
  if (!(visibilityTimeoutMs > 0))
    throw new InvalidOptionError('visibilityTimeoutMs', 'a number > 0 or Infinity', visibilityTimeoutMs);
  const pollMs = options.pollMs ?? 1_000;
  if (!(pollMs > 0 && pollMs !== Infinity)) throw new InvalidOptionError('pollMs', 'a finite number > 0', pollMs);
  const name = options.name ?? 'memory';
  const deadLetters = options.deadLetter ?? new MemoryQueue<DeadLetter<T>>();
  let sequence = 0;

  return {
    name,
    defaultCodec: options.codec ?? (identity as Codec<B>),
    deadLetters,
    open() {
      return Promise.resolve(openSession());
    },
  };

  function openSession(): Session<Entry<T>> {
    const shared = new SessionShared(name);
    const outstanding = visibilityTimeoutMs === Infinity ? undefined : new Set<TimedEntry<T>>();
    const sweeper =
      outstanding &&
      setInterval(
        () => {
          const now = performance.now();
          for (const d of outstanding) {
            if (d.deadline > now) continue;
            outstanding.delete(d);
            d.expired = true;
            queue.put(d.payload, envelope(d.attempt + 1, d.headers), false);
          }
          queue.wake();
        },
        Math.max(1, Math.min(visibilityTimeoutMs / 2, 1_000)),
      );

    // Stopping the intake (or closing) ends a pending receive at once, empty-handed, and takes its
    // waiter out of the queue's line, so that it neither holds a stop for pollMs nor eats a wake-up.
    let stopped = false;
    let cancelWait: (() => void) | undefined;
    const stop = (): void => {
      stopped = true;
      cancelWait?.();
      cancelWait = undefined;
    };

    /** Marks a delivery settled; false if it had expired (then the settlement does nothing). */
    const settled = (d: Entry<T>): boolean => {
      if (outstanding === undefined) return true;
      const timed = d as TimedEntry<T>;
      if (timed.expired) return false;
      outstanding.delete(timed);
      return true;
    };

    /** A delivery of a taken value; the receive's time is read once, at its first value. */
    let deadline = 0;
    const entry =
      outstanding === undefined
        ? (value: T, e: Envelope | undefined): Entry<T> =>
            new Entry<T>(++sequence, value, e?.attempt ?? 1, e?.headers, shared)
        : (value: T, e: Envelope | undefined, i: number): Entry<T> => {
            if (i === 0) deadline = performance.now() + visibilityTimeoutMs;
            const d = new TimedEntry<T>(++sequence, value, e?.attempt ?? 1, e?.headers, shared, deadline);
            outstanding.add(d);
            return d;
          };

    return {
      async receive(max) {
        if (stopped) return [];
        if (queue.size === 0) await queue.wait(max, 1, pollMs, (cancel) => (cancelWait = cancel));
        cancelWait = undefined;
        if (stopped) return [];
        return queue.takeEach(max, entry);
      },
      stopIntake: stop,
      ack(d) {
        settled(d);
      },
      requeue(d) {
        if (!settled(d)) return;
        queue.put(d.payload, envelope(d.attempt + 1, d.headers), false);
        queue.wake();
      },
      resend(d: Entry<T>, request: ResendRequest) {
        if (!settled(d)) return Promise.resolve();
        const copy = envelope(request.attempt, resendHeaders(d.headers, request));
        if (request.delayMs <= 0) {
          queue.put(d.payload, copy, false);
          queue.wake();
        } else
          setTimeout(() => {
            queue.put(d.payload, copy, false);
            queue.wake();
          }, request.delayMs);
        return Promise.resolve();
      },
      deadLetter(d: Entry<T>, request: DeadLetterRequest) {
        if (!settled(d)) return Promise.resolve();
        const letter: { -readonly [K in keyof DeadLetter<T>]: DeadLetter<T>[K] } = {
          value: d.payload,
          reason: request.reason,
          attempt: d.attempt,
          headers: d.headers ?? {},
          at: request.at,
        };
        if (request.error) letter.error = request.error;
        // put, not push: a dead letter is rxq's copy, not a publish (no new trace context).
        deadLetters.put(letter, undefined, false);
        deadLetters.wake();
        return Promise.resolve();
      },
      release(ds) {
        // Back to the front in delivery order, whatever order the caller lists them in (fromQueue
        // lists its unsettled messages newest first).
        const ordered = [...ds].sort((a, b) => a.sequence - b.sequence);
        for (let i = ordered.length - 1; i >= 0; i--) {
          const d = ordered[i] as Entry<T>;
          if (settled(d)) queue.put(d.payload, envelope(d.attempt, d.headers), true);
        }
        queue.wake();
        return Promise.resolve();
      },
      close() {
        stop();
        if (sweeper) clearInterval(sweeper);
        return Promise.resolve();
      },
    };
  }
}

function envelope(attempt: number, headers: Readonly<Record<string, string>> | undefined): Envelope | undefined {
  if (attempt === 1 && headers === undefined) return undefined;
  return headers === undefined ? { attempt } : { attempt, headers };
}
