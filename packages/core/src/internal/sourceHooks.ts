import type { Message } from '../message.js';

/**
 * What `handle` may ask of the source of a message it runs a handler on: a narrow view of the
 * engine, so that the operators know nothing of how a source is built. One object per source
 * subscription, shared by its messages.
 */
/** Told once when the source of a message it watches begins to stop (or its run ends). */
export interface StopListener {
  sourceStopped(reason: unknown): void;
}

export interface SourceHooks {
  /**
   * Tells `listener` when the source begins to stop, once. If it has begun already, registers
   * nothing and returns the stop's reason. A Set, not an AbortSignal's listeners: Node's
   * `addEventListener` walks every listener already there, which at a high concurrency cost
   * microseconds per message.
   */
  watchStop(listener: StopListener): unknown;
  /** Forgets a listener of {@link watchStop} (its handler finished). */
  unwatchStop(listener: StopListener): void;
  /** Records how long a handler ran on `count` of the source's messages (a batch's, or one). */
  handled(durationMs: number, count: number): void;
  /** Gives one of the source's messages back unhandled, no attempt counted, unless it is settled. */
  releaseUnhandled(message: Message<unknown>): void;
}

/** The key under which a message emitted by `fromQueue` carries its source's hooks. */
export const SOURCE_HOOKS: unique symbol = Symbol('rxq.sourceHooks');

/** The hooks of the source that emitted `message`; undefined for a message no rxq source emitted. */
export function sourceHooks(message: unknown): SourceHooks | undefined {
  return (message as { readonly [SOURCE_HOOKS]?: SourceHooks } | null)?.[SOURCE_HOOKS];
}
