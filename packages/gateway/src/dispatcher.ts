import type { Logger } from '@rxq/core';
import type { Item, QueueBackend } from './backend.js';
import type { Caller } from './caller.js';
import type { Lease, LeaseTable } from './leases.js';

/** An item handed out under its own lease, as `lease`/`lease_many` and the JSON API return it. */
export interface LeasedItem {
  readonly id: string;
  readonly value: unknown;
  readonly attempt: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The gateway's operations, shared by the TCP protocol and both HTTP forms: push, pull (values
 * under one implicit lease), lease (items under explicit leases), ack, nack, release, dead-letter.
 */
export class Dispatcher {
  /** Takes in progress (pulls and leases waiting or taking). */
  pulling = 0;

  constructor(
    readonly queues: ReadonlyMap<string, QueueBackend>,
    readonly defaultQueue: QueueBackend,
    readonly leases: LeaseTable,
    readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  /** The named queue, the default one for undefined, or undefined if there is no such queue. */
  queue(name: unknown): QueueBackend | undefined {
    if (name === undefined || name === null) return this.defaultQueue;
    return typeof name === 'string' ? this.queues.get(name) : undefined;
  }

  /** Acks what the caller's old-protocol pulls handed out: it has proved it got them. */
  confirm(caller: Caller): void | Promise<void> {
    if (caller.implicit.length === 0) return;
    const leases = caller.implicit;
    caller.implicit = [];
    return this.ackLeases(leases);
  }

  /** Gives back everything the caller holds: it went away. */
  async drop(caller: Caller): Promise<void> {
    caller.leave();
    caller.implicit = [];
    await this.leases.dropOwner(caller);
  }

  /**
   * Takes up to `n` items (`null`: as many as there are). With `fill` (old-protocol pulls) it goes
   * on until it has `n`, each wait at most `timeoutMs`, stopping at the first wait that times out;
   * without, it returns as soon as it has at least one (a long poll). Whatever it took is handed
   * out only if the caller is still there; otherwise it goes back untouched.
   */
  async take(queue: QueueBackend, n: number | null, timeoutMs: number, caller: Caller, fill = true): Promise<Item[]> {
    const want = n ?? Infinity;
    let items: Item[] = [];
    this.pulling++;
    try {
      while (items.length < want && (fill || items.length === 0)) {
        const got = await queue.take(want - items.length, timeoutMs, caller.signal);
        if (got.length === 0) break;
        items = items.length === 0 ? got : items.concat(got);
      }
    } finally {
      this.pulling--;
    }
    if (caller.gone && items.length > 0) {
      await queue.putBack(items, { countAttempt: false, front: true });
      return [];
    }
    return items;
  }

  /** Old-protocol pull: the values, under one lease acked at the caller's next request. */
  async pull(queue: QueueBackend, n: number | null, timeoutMs: number, caller: Caller): Promise<unknown[]> {
    const items = await this.take(queue, n, timeoutMs, caller);
    if (items.length === 0) return [];
    caller.implicit.push(this.leases.grant(queue, items, this.leaseMs, caller));
    const values = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) values[i] = (items[i] as Item).value;
    return values;
  }

  /**
   * Items under a lease each, to be acked, nacked or released by id. The caller owns them: they
   * return when it goes (a TCP connection; an HTTP request lets go of them once answered).
   */
  async lease(
    queue: QueueBackend,
    n: number | null,
    timeoutMs: number,
    leaseMs: number,
    caller: Caller,
  ): Promise<LeasedItem[]> {
    const items = await this.take(queue, n, timeoutMs, caller, false);
    return items.map((item) => {
      const lease = this.leases.grant(queue, [item], leaseMs, caller);
      return item.headers === undefined
        ? { id: lease.id, value: item.value, attempt: item.attempt }
        : { id: lease.id, value: item.value, attempt: item.attempt, headers: item.headers };
    });
  }

  /** Acks leases by id; returns how many were still live. */
  async ack(ids: readonly string[]): Promise<number> {
    const live = this.live(ids);
    await this.ackLeases(live);
    return live.length;
  }

  /** Puts leased items back (`attempt + 1`), after `delayMs`; returns how many were live. */
  async nack(
    ids: readonly string[],
    delayMs: number,
    headers: Readonly<Record<string, string>> | undefined,
  ): Promise<number> {
    const live = this.live(ids);
    for (const lease of live) await this.leases.putBack(lease, { countAttempt: true, front: false, delayMs, headers });
    return live.length;
  }

  /** Gives leased items back unhandled: to the front, the attempt not counted. */
  async release(ids: readonly string[]): Promise<number> {
    const live = this.live(ids).reverse();
    for (const lease of live) await this.leases.putBack(lease, { countAttempt: false, front: true });
    return live.length;
  }

  /** Moves a leased item to its queue's dead-letter destination; false if the lease had ended. */
  async deadLetter(id: string, reason: string, error: { name: string; message: string } | undefined): Promise<boolean> {
    const lease = this.leases.get(id);
    if (lease === undefined || !this.leases.end(lease)) return false;
    for (const item of lease.items) await lease.backend.deadLetter(item, { reason, error, at: Date.now() });
    return true;
  }

  private live(ids: readonly string[]): Lease[] {
    const out: Lease[] = [];
    for (const id of ids) {
      const lease = this.leases.get(id);
      if (lease !== undefined) out.push(lease);
    }
    return out;
  }

  private ackLeases(leases: readonly Lease[]): void | Promise<void> {
    let pending: Promise<void>[] | undefined;
    for (const lease of leases) {
      if (!this.leases.end(lease)) continue;
      const done = lease.backend.ack(lease.items);
      if (done instanceof Promise) (pending ??= []).push(done);
    }
    if (pending)
      return Promise.all(pending).then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error }, 'an ack failed'),
      );
  }
}
