/** Where a source stands. */
export type SourceStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'draining' | 'closed';

/** A change of a source's status, with the error that caused it where there is one. */
export interface StatusEvent {
  readonly status: SourceStatus;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Why it is reconnecting, or why it closed with an error. */
  readonly error?: unknown;
  /** Which reconnect try this is (1-based), while reconnecting. */
  readonly retry?: number;
}
