import type { Delivery } from './connector.js';

/**
 * A poison message, as rxq reports it to an {@link Instrumentation}: what a span may record of a
 * delivery whose body could not be decoded. It carries no payload; `headers` are for reading the
 * producer's trace context, never for copying into a span.
 */
export interface PoisonReport {
  /** The source's name. */
  readonly source: string;
  /** The delivery, without its payload. */
  readonly delivery: Omit<Delivery, 'payload'>;
  /** Why: `decode` (the codec threw) or `invalid` (a schema's `ValidationError`). */
  readonly reason: 'decode' | 'invalid';
  /** The error's name (`DecodeError`, `ValidationError`). */
  readonly errorName: string;
  /** Settles when the dead letter is written: rejects if the broker did not take it. */
  readonly deadLettered: Promise<void>;
}

/**
 * What an instrumentation package (such as `@rxq/otel`) plugs into rxq with
 * {@link setInstrumentation}. Every hook is optional, and none may throw: rxq calls them on the
 * hot paths of publishing and consuming.
 */
export interface Instrumentation {
  /**
   * Adds the current trace context (W3C `traceparent`, `tracestate`) to the headers of a message
   * that an rxq publish helper is about to send. `headers` is a fresh object the hook may change;
   * it holds the caller's headers, and a hook should leave a `traceparent` the caller set.
   */
  readonly inject?: (headers: Record<string, string>) => void;
  /** A message is being dead-lettered as poison, before any handler saw it. */
  readonly poison?: (report: PoisonReport) => void;
}

/**
 * Shared through `globalThis`, as OpenTelemetry's own registry is: two copies of `@rxq/core` in
 * one process (two versions installed side by side) see one instrumentation.
 */
const KEY = Symbol.for('rxq.instrumentation.v1');
const slot = globalThis as { [KEY]?: Instrumentation | undefined };

/**
 * Installs the process's instrumentation (one at a time; `undefined` removes it) and returns the
 * one it replaces. With none installed, which is the default, publish helpers send exactly the
 * headers they were given and nothing is reported: an app that does not trace pays one property
 * read per publish and per poison message.
 *
 * @example
 * // What `@rxq/otel`'s installPropagation() does, in short:
 * setInstrumentation({ inject: (headers) => propagation.inject(context.active(), headers) });
 */
export function setInstrumentation(instrumentation: Instrumentation | undefined): Instrumentation | undefined {
  const previous = slot[KEY];
  slot[KEY] = instrumentation;
  return previous;
}

/** The installed instrumentation, if any. */
export function getInstrumentation(): Instrumentation | undefined {
  return slot[KEY];
}

/**
 * The headers a publish helper sends: `headers` as given when no instrumentation injects (no
 * copy), else a copy with the current trace context added. For connector authors.
 *
 * @example
 * const sent = publishHeaders(options.headers); // then write `sent` with the message
 */
export function publishHeaders(
  headers: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> | undefined {
  const inject = slot[KEY]?.inject;
  if (inject === undefined) return headers;
  const out: Record<string, string> = { ...headers };
  try {
    inject(out);
  } catch {
    // An instrumentation's bug must not stop a publish: send what the caller gave.
    return headers;
  }
  return headers === undefined && Object.keys(out).length === 0 ? undefined : out;
}

/** Tells the instrumentation of a poison message. Never throws. @internal */
export function reportPoison(
  source: string,
  delivery: Delivery,
  reason: 'decode' | 'invalid',
  error: unknown,
  deadLettered: Promise<void>,
): void {
  const poison = slot[KEY]?.poison;
  if (poison === undefined) return;
  try {
    poison({
      source,
      // Field by field (a connector's delivery may be a class with getters), never the payload.
      delivery: {
        id: delivery.id,
        attempt: delivery.attempt,
        source: delivery.source,
        headers: delivery.headers,
        key: delivery.key,
        partition: delivery.partition,
        offset: delivery.offset,
        timestamp: delivery.timestamp,
        transport: delivery.transport,
      },
      reason,
      errorName: error instanceof Error ? error.name : 'Error',
      deadLettered,
    });
  } catch {
    // An instrumentation's bug must not stop the source.
  }
}
