import { batcher, type Batcher } from '@rxq/core/kit';
import { HEADERS, type DeadLetterRequest, type OpenContext, type ResendRequest } from '@rxq/core';
import type { PgPool, PgPoolClient, Pools } from './connection.js';
import { jobDelivery, type PgDelivery } from './delivery.js';
import type { Jobs } from './jobs.js';
import { PgSession, type SessionSettings } from './session.js';

/** Settings a queue session runs with. */
export interface QueueSettings extends SessionSettings {
  readonly queue: string;
  readonly jobs: Jobs;
  readonly maxAckBatch: number;
}

/** A session of {@link pgQueue}: claims with SKIP LOCKED, holds leases, batches acks. */
export class QueueSession extends PgSession {
  private readonly acks: Batcher<string>;
  /** Ids of rows this session claimed and has not settled: their leases are extended. */
  private readonly held = new Set<string>();

  constructor(
    pool: PgPool,
    listener: PgPoolClient,
    pools: Pools,
    ctx: OpenContext,
    private readonly q: QueueSettings,
    private readonly owner: string,
  ) {
    super(pool, listener, pools, ctx, q);
    this.acks = batcher<string>({
      flush: (ids) => this.write((db) => q.jobs.ack(db, ids)),
      maxSize: q.maxAckBatch,
      mode: 'coalesce',
    });
  }

  protected wants(payload: string): boolean {
    return payload === this.q.queue;
  }

  protected async fetch(max: number): Promise<PgDelivery[]> {
    const rows = await this.q.jobs.claim(this.pool, this.q.queue, max, this.owner, this.q.leaseMs);
    const out = rows.map((row) => jobDelivery(row, this.q.queue));
    for (const d of out) this.held.add(d.id);
    return out;
  }

  protected nextDueMs(): Promise<number | undefined> {
    return this.q.jobs.nextDueMs(this.pool, this.q.queue);
  }

  protected async extendLeases(): Promise<void> {
    if (this.held.size === 0) return;
    await this.q.jobs.extend(this.pool, [...this.held], this.owner, this.q.leaseMs);
  }

  protected flushWrites(): Promise<void> {
    return this.acks.flush();
  }

  ack(d: PgDelivery): Promise<void> {
    this.held.delete(d.id);
    return this.settled(1, this.acks.add(d.id));
  }

  requeue(d: PgDelivery): Promise<void> {
    this.held.delete(d.id);
    return this.settled(
      1,
      this.write((db) => this.q.jobs.giveBack(db, [d.id], this.owner, true)),
    );
  }

  resend(d: PgDelivery, request: ResendRequest): Promise<void> {
    this.held.delete(d.id);
    const extra: Record<string, string> = { [HEADERS.attempt]: String(request.attempt) };
    if (request.error) {
      extra[HEADERS.errorName] = request.error.name;
      extra[HEADERS.errorMessage] = request.error.message.slice(0, 1_000);
    }
    return this.settled(
      1,
      this.write((db) => this.q.jobs.resend(db, d.id, this.owner, request.attempt, request.delayMs, extra)),
    );
  }

  deadLetter(d: PgDelivery, request: DeadLetterRequest): Promise<void> {
    this.held.delete(d.id);
    return this.settled(
      1,
      this.write((db) => this.q.jobs.deadLetter(db, d.id, this.q.queue, null, request.reason, request.error)),
    );
  }

  release(ds: readonly PgDelivery[]): Promise<void> {
    if (ds.length === 0) return Promise.resolve();
    const ids = ds.map((d) => d.id);
    for (const id of ids) this.held.delete(id);
    return this.settled(
      ds.length,
      this.write((db) => this.q.jobs.giveBack(db, ids, this.owner, false)),
    );
  }
}
