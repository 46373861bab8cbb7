import { randomBytes } from 'node:crypto';
import type { Logger } from '@rxq/core';
import type { Item, PutBack, QueueBackend } from './backend.js';

/** Who holds a lease: a TCP connection, or an HTTP request until it is answered; its leases return when it goes. */
export interface LeaseOwner {
  readonly leases: Set<Lease>;
}

/** Items handed to a client and not yet settled. */
export class Lease {
  constructor(
    readonly id: string,
    readonly backend: QueueBackend,
    readonly items: readonly Item[],
    readonly deadline: number,
    readonly owner: LeaseOwner | undefined,
  ) {}
}

/**
 * Every lease the gateway has handed out, by id. A lease ends exactly once: acked, put back
 * (nack, release, timeout, its owner gone, shutdown) or dead-lettered. A sweep returns leases past
 * their deadline to their queue with `attempt + 1`.
 */
export class LeaseTable {
  private readonly byId = new Map<string, Lease>();
  private readonly prefix = randomBytes(4).toString('hex');
  private next = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    sweepMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  get size(): number {
    return this.byId.size;
  }

  /** Items under live leases. */
  get items(): number {
    let n = 0;
    for (const lease of this.byId.values()) n += lease.items.length;
    return n;
  }

  /** A new lease on `items`, ending by itself after `leaseMs`. */
  grant(backend: QueueBackend, items: readonly Item[], leaseMs: number, owner: LeaseOwner | undefined): Lease {
    const id = `${this.prefix}-${(this.next++).toString(36)}`;
    const lease = new Lease(id, backend, items, performance.now() + leaseMs, owner);
    this.byId.set(id, lease);
    owner?.leases.add(lease);
    return lease;
  }

  /** A live lease, or undefined if it has already ended (or never was). */
  get(id: string): Lease | undefined {
    return this.byId.get(id);
  }

  /** Ends a lease without settling its items (the caller settles them: a dead letter). */
  end(lease: Lease): boolean {
    if (this.byId.get(lease.id) !== lease) return false;
    this.forget(lease);
    return true;
  }

  /** Ends a lease by giving its items back. */
  async putBack(lease: Lease, how: PutBack): Promise<void> {
    if (!this.end(lease)) return;
    await lease.backend.putBack(lease.items, how);
  }

  /** Gives back every lease `owner` holds (its client went away), with `attempt + 1`. */
  async dropOwner(owner: LeaseOwner): Promise<void> {
    const leases = [...owner.leases];
    for (const lease of leases.reverse()) {
      await this.putBack(lease, { countAttempt: true, front: true }).catch((error: unknown) =>
        this.logger.error({ err: error, queue: lease.backend.name }, 'could not return a lease'),
      );
    }
  }

  /** Gives back every lease (graceful shutdown), with `attempt + 1`; stops the sweep. */
  async returnAll(): Promise<number> {
    clearInterval(this.sweeper);
    const leases = [...this.byId.values()].reverse();
    let items = 0;
    for (const lease of leases) {
      items += lease.items.length;
      await this.putBack(lease, { countAttempt: true, front: true }).catch((error: unknown) =>
        this.logger.error({ err: error, queue: lease.backend.name }, 'could not return a lease'),
      );
    }
    return items;
  }

  private forget(lease: Lease): void {
    this.byId.delete(lease.id);
    // An owner that let go of its leases (an answered HTTP request) no longer lists it: harmless.
    lease.owner?.leases.delete(lease);
  }

  private sweep(): void {
    const now = performance.now();
    for (const lease of this.byId.values()) {
      if (lease.deadline > now) continue;
      this.logger.debug({ queue: lease.backend.name, items: lease.items.length }, 'lease timed out');
      this.putBack(lease, { countAttempt: true, front: true }).catch((error: unknown) =>
        this.logger.error({ err: error, queue: lease.backend.name }, 'could not return a timed-out lease'),
      );
    }
  }
}
