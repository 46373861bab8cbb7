import type { Item, Message } from '@rxq/core';

/**
 * A message as a handler in a worker thread sees it: plain data, cloned (or, for bytes, moved)
 * across the thread boundary. Settling stays on the main thread, so there is no `ack` here.
 */
export interface WorkerMessage<T = unknown> {
  readonly id: string;
  readonly body: T;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on first delivery; one more per resend or redelivery. */
  readonly attempt: number;
  /** The queue, list, stream or topic it came from. */
  readonly source: string;
  readonly key?: string | undefined;
  readonly partition?: number | undefined;
  readonly offset?: string | undefined;
  readonly timestamp?: number | undefined;
}

/** An error as it crosses a thread boundary: its name, message and stack, and rxq's flags. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly code?: string | undefined;
  readonly retryable?: boolean | undefined;
}

/** What the main thread posts for one item (a message, or a `chunk` batch). */
export interface WorkerTask {
  readonly batch: boolean;
  readonly messages: readonly WorkerMessage[];
}

/** What the thread answers. */
export type WorkerReply =
  | { readonly t: 'ok'; readonly value: unknown }
  | { readonly t: 'failed'; readonly error: WireError; readonly failedIndexes?: readonly number[] }
  | { readonly t: 'init-failed'; readonly error: WireError; readonly stage: 'load' | 'init' };

/** `{ name, message, stack, code, retryable }` of any thrown value. */
export function errorToWire(error: unknown): WireError {
  if (error instanceof Error) {
    const { code, retryable } = error as { code?: unknown; retryable?: unknown };
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: typeof code === 'string' ? code : undefined,
      retryable: typeof retryable === 'boolean' ? retryable : undefined,
    };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : `a thrown ${typeof error}` };
}

/**
 * The body's bytes can be moved rather than copied only when the body is a `Uint8Array` that owns
 * its whole (non-shared) buffer and shares it with nothing the source still uses (`raw`): a
 * pooled `Buffer` slice or a body that is its own raw payload is copied.
 */
function movable(message: Message<unknown>): ArrayBuffer | undefined {
  const body = message.body;
  if (!(body instanceof Uint8Array)) return undefined;
  const buffer = body.buffer;
  if (!(buffer instanceof ArrayBuffer) || body.byteOffset !== 0 || body.byteLength !== buffer.byteLength)
    return undefined;
  const raw = message.raw;
  if (raw === body || (raw instanceof Uint8Array && raw.buffer === buffer) || raw === buffer) return undefined;
  return buffer;
}

/** The plain form of `item` and the buffers to move with it. */
export function toTask(item: Item, transfer: boolean): { task: WorkerTask; transferList: ArrayBuffer[] } {
  const batch = Array.isArray(item);
  const messages = batch ? (item as readonly Message<unknown>[]) : [item as Message<unknown>];
  const transferList: ArrayBuffer[] = [];
  const plain = messages.map((m) => {
    if (transfer) {
      const buffer = movable(m);
      if (buffer) transferList.push(buffer);
    }
    // Only the fields the message has: every field costs its share of the structured clone.
    const w: { -readonly [K in keyof WorkerMessage]: WorkerMessage[K] } = {
      id: m.id,
      body: m.body,
      headers: m.headers,
      attempt: m.attempt,
      source: m.source,
    };
    if (m.key !== undefined) w.key = m.key;
    if (m.partition !== undefined) w.partition = m.partition;
    if (m.offset !== undefined) w.offset = m.offset;
    if (m.timestamp !== undefined) w.timestamp = m.timestamp;
    return w;
  });
  return { task: { batch, messages: plain }, transferList };
}
