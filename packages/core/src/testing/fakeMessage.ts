import type { Message, NackOptions, ResendOptions, Settlement } from '../message.js';
import { rejectUnknownOptions } from '../options.js';

/** One settle call a {@link fakeMessage} saw, in order. */
export interface SettleCall {
  readonly op: 'ack' | 'nack' | 'resend' | 'deadLetter';
  readonly args: readonly unknown[];
}

/** A message that records its settle calls: see {@link fakeMessage}. */
export interface FakeMessage<T, X = unknown> extends Message<T, X> {
  /** Every settle call, the later (no-op) ones included. */
  readonly calls: readonly SettleCall[];
  /** The names of `calls`, e.g. `['ack']`. */
  readonly ops: readonly SettleCall['op'][];
}

/** Options of {@link fakeMessage}. */
export interface FakeMessageOptions<T, X = unknown> {
  /** @default the id */
  readonly body?: T;
  /** @default 1 */
  readonly attempt?: number;
  readonly key?: string;
  /** @default 'fake' */
  readonly source?: string;
  /** @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** The connector's view of the delivery. @default undefined */
  readonly transport?: X;
}

/**
 * A stand-in message for testing operators without a source, under any test runner (it imports
 * nothing but types): it talks to no broker, settles the
 * way a real one does (the first call wins; `nack({ requeue: false })` dead-letters, a delayed
 * nack resends) and records every call.
 *
 * @example
 * const m = fakeMessage('a');
 * await firstValueFrom(of({ ok: true, item: m, value: 1, durationMs: 0 }).pipe(ack()));
 * expect(m.ops).toEqual(['ack']);
 */
export function fakeMessage<T = string, X = unknown>(
  id: string,
  options: FakeMessageOptions<T, X> = {},
): FakeMessage<T, X> {
  rejectUnknownOptions(options, ['body', 'attempt', 'key', 'source', 'headers', 'transport']);
  let settlement: Settlement | undefined;
  const calls: SettleCall[] = [];
  const ops: SettleCall['op'][] = [];
  const settle = (s: Settlement, op: SettleCall['op'], args: unknown[]): Promise<void> => {
    calls.push({ op, args });
    ops.push(op);
    settlement ??= s;
    return Promise.resolve();
  };
  return {
    id,
    body: (options.body ?? id) as T,
    raw: id,
    headers: options.headers ?? {},
    transport: options.transport as X,
    attempt: options.attempt ?? 1,
    source: options.source ?? 'fake',
    key: options.key,
    receivedAt: 0,
    calls,
    ops,
    get settlement() {
      return settlement;
    },
    ack: () => settle('acked', 'ack', []),
    nack: (o?: NackOptions) =>
      settle(o?.requeue === false ? 'dead-lettered' : (o?.delayMs ?? 0) > 0 ? 'resent' : 'requeued', 'nack', [o]),
    resend: (o?: ResendOptions) => settle('resent', 'resend', [o]),
    deadLetter: (reason: string | Error, error?: unknown) => settle('dead-lettered', 'deadLetter', [reason, error]),
  };
}
