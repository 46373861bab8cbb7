import type { Connector } from '../connector.js';

/** A dead letter as a harness reads it back from its broker. */
export interface DeadLetterView {
  /** The payload as published (a string or bytes). */
  readonly raw: unknown;
  /** `decode`, `max-attempts`, `rejected`, `non-retryable`, … */
  readonly reason: string;
  /** The error's message, where one was recorded. */
  readonly errorMessage?: string | undefined;
}

/**
 * What a connector package gives the contract suite: one uniquely named queue (or topic) per
 * harness, ways to publish to it and read its dead letters, and a cleanup of what it made.
 */
export interface ContractHarness {
  /** A new connector on this harness's queue, with `options` passed through. */
  connector(): Connector;
  /** Publishes JSON bodies in order, as any producer would (no rxq envelope needed). */
  publish(bodies: readonly unknown[]): Promise<void>;
  /** Publishes raw payloads (for poison bodies). */
  publishRaw(payloads: readonly (string | Uint8Array)[]): Promise<void>;
  /** Everything in the dead-letter destination. */
  deadLetters(): Promise<readonly DeadLetterView[]>;
  /** Deletes what the harness made. */
  close(): Promise<void>;
}

/** Options of `contractSuite`. */
export interface ContractSuiteOptions {
  /** The suite's title, e.g. `redis reliable list`. */
  readonly name: string;
  /** A fresh harness per test. */
  readonly create: () => Promise<ContractHarness>;
  /**
   * Whether the mode redelivers what was not acked (nack requeue and at-least-once cases).
   * @default true
   */
  readonly atLeastOnce?: boolean;
  /**
   * Whether the broker keeps the order of what one producer sent (the per-key order case). An SQS
   * standard queue, for one, promises no order.
   * @default true
   */
  readonly ordered?: boolean;
  /** Per-test timeout. @default 30_000 */
  readonly timeoutMs?: number;
}
