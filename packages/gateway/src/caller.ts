import type { Lease, LeaseOwner } from './leases.js';

/**
 * One client as the dispatcher sees it: a TCP connection, or one HTTP request. It owns its leases
 * (they return to the queue when it goes) and keeps the leases of old-protocol pulls apart, to be
 * acked when it proves it got them (TCP: its next request; HTTP: the response was written).
 */
export class Caller implements LeaseOwner {
  readonly leases = new Set<Lease>();
  /** Leases of `pull`/`pull_many`, acked by `Dispatcher.confirm`. */
  implicit: Lease[] = [];
  private readonly abort = new AbortController();

  /** @param authorised whether the caller has passed the token check (or none is needed) */
  constructor(public authorised: boolean) {}

  /** Aborted when the client goes: a pending pull stops waiting and takes nothing more. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get gone(): boolean {
    return this.abort.signal.aborted;
  }

  /** Marks the client gone. */
  leave(): void {
    this.abort.abort();
  }
}
