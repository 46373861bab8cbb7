import { batcher, type Batcher } from '@rxq/core/kit';
import {
  attemptOf,
  HEADERS,
  OffsetTracker,
  type DeadLetterRequest,
  type OpenContext,
  type ResendRequest,
} from '@rxq/core';
import type { PgPool, PgPoolClient, Pools } from './connection.js';
import { jobDelivery, stringHeaders, type PgDelivery } from './delivery.js';
import type { Jobs } from './jobs.js';
import type { ClaimProgress, ClaimRow, Log } from './log.js';
import { PgSession, type SessionSettings } from './session.js';

/** Settings a topic session runs with. */
export interface TopicSettings extends SessionSettings {
  readonly topic: string;
  readonly subscriber: string;
  readonly retryQueue: string;
  readonly jobs: Jobs;
  readonly log: Log;
  readonly maxAckBatch: number;
}

/** A claim this session holds: its offsets delivered and settled. */
interface Held {
  readonly tracker: OffsetTracker;
  readonly last: number;
}

/**
 * A session of {@link pgTopic}: claims ranges of the subscriber's offsets, commits the contiguous
 * settled prefix of each (core's {@link OffsetTracker}), takes over ranges whose lease ended, and
 * serves the subscriber's resent copies from its retry queue.
 */
export class TopicSession extends PgSession {
  private readonly claims = new Map<string, Held>();
  private readonly commits: Batcher<string>;
  private readonly jobAcks: Batcher<string>;
  private readonly heldJobs = new Set<string>();
  private nextTakeOver = 0;
  private nextRetries = 0;

  constructor(
    pool: PgPool,
    listener: PgPoolClient,
    pools: Pools,
    ctx: OpenContext,
    private readonly t: TopicSettings,
    private readonly owner: string,
  ) {
    super(pool, listener, pools, ctx, t);
    this.commits = batcher<string>({ flush: (ids) => this.commit(ids), maxSize: t.maxAckBatch, mode: 'coalesce' });
    this.jobAcks = batcher<string>({
      flush: (ids) => this.write((db) => t.jobs.ack(db, ids)),
      maxSize: t.maxAckBatch,
      mode: 'coalesce',
    });
  }

  protected wants(payload: string): boolean {
    return payload === this.t.topic || payload === this.t.retryQueue;
  }

  protected async fetch(max: number): Promise<PgDelivery[]> {
    const now = Date.now();
    const { topic, subscriber, leaseMs } = this.t;
    if (now >= this.nextRetries) {
      this.nextRetries = now + this.t.pollMs;
      const rows = await this.t.jobs.claim(this.pool, this.t.retryQueue, max, this.owner, leaseMs);
      if (rows.length > 0) {
        this.nextRetries = 0;
        return rows.map((row) => {
          this.heldJobs.add(row.id);
          return { ...jobDelivery(row, topic), id: `r${row.id}` };
        });
      }
    }
    if (now >= this.nextTakeOver) {
      this.nextTakeOver = now + Math.min(this.t.pollMs, leaseMs / 2);
      const rows = await this.t.log.takeOver(this.pool, topic, subscriber, max, this.owner, leaseMs);
      if (rows.length > 0) {
        this.nextTakeOver = 0;
        return this.deliver(rows);
      }
    }
    return this.deliver(await this.t.log.claimNext(this.pool, topic, subscriber, max, this.owner, leaseMs));
  }

  private deliver(rows: ClaimRow[]): PgDelivery[] {
    const out: PgDelivery[] = [];
    const empty: ClaimProgress[] = [];
    for (const row of rows) {
      if (row.offset === null || row.payload === null || row.created_at === null) {
        // The range was pruned before it was read: nothing to deliver, the claim is done.
        empty.push({ id: row.claim, next: Number(row.last) + 1 });
        continue;
      }
      let held = this.claims.get(row.claim);
      if (held === undefined) {
        held = { tracker: new OffsetTracker(), last: Number(row.last) };
        this.claims.set(row.claim, held);
      }
      held.tracker.add(Number(row.offset));
      const raw = row.headers ?? {};
      const headers = stringHeaders(raw);
      out.push({
        id: row.offset,
        payload: row.payload,
        headers,
        attempt: Math.max(row.deliveries, attemptOf(headers)),
        source: this.t.topic,
        offset: row.offset,
        timestamp: row.created_at.getTime(),
        transport: { kind: 'log', offset: row.offset, claimId: row.claim, headers: raw, createdAt: row.created_at },
      });
    }
    if (empty.length > 0) void this.writeProgress(empty).catch(() => undefined);
    return out;
  }

  protected async nextDueMs(): Promise<number | undefined> {
    const retry = await this.t.jobs.nextDueMs(this.pool, this.t.retryQueue);
    if (retry !== undefined && retry <= 0) this.nextRetries = 0;
    return retry;
  }

  protected async extendLeases(): Promise<void> {
    const { log, jobs, leaseMs } = this.t;
    if (this.claims.size > 0) await log.extend(this.pool, [...this.claims.keys()], this.owner, leaseMs);
    if (this.heldJobs.size > 0) await jobs.extend(this.pool, [...this.heldJobs], this.owner, leaseMs);
  }

  protected async flushWrites(): Promise<void> {
    await Promise.all([this.commits.flush(), this.jobAcks.flush()]);
  }

  /** Writes the progress of the claims named in `ids` (each once), forgetting those done. */
  private commit(ids: readonly string[]): Promise<void> {
    const progress: ClaimProgress[] = [];
    for (const id of new Set(ids)) {
      const held = this.claims.get(id);
      if (held === undefined) continue;
      const done = held.tracker.pending === 0;
      progress.push({ id, next: done ? held.last + 1 : (held.tracker.committable ?? held.last + 1) });
      if (done) this.claims.delete(id);
    }
    return progress.length === 0 ? Promise.resolve() : this.writeProgress(progress);
  }

  private writeProgress(progress: readonly ClaimProgress[]): Promise<void> {
    const { log, topic, subscriber } = this.t;
    return this.write((db) => log.commit(db, topic, subscriber, this.owner, progress));
  }

  /** Marks a log delivery settled, to be committed with the next batch. */
  private settleOffset(d: PgDelivery): Promise<void> {
    const claim = d.transport.claimId as string;
    this.claims.get(claim)?.tracker.settle(Number(d.offset));
    return this.commits.add(claim);
  }

  private jobId(d: PgDelivery): string {
    const id = d.transport.jobId as string;
    this.heldJobs.delete(id);
    return id;
  }

  ack(d: PgDelivery): Promise<void> {
    if (d.transport.kind === 'job') return this.settled(1, this.jobAcks.add(this.jobId(d)));
    return this.settled(1, this.settleOffset(d));
  }

  requeue(d: PgDelivery): Promise<void> {
    // A log cannot put one offset back: a copy goes to the subscriber's retry queue at once.
    return this.resend(d, { attempt: d.attempt + 1, delayMs: 0 });
  }

  resend(d: PgDelivery, request: ResendRequest): Promise<void> {
    const extra: Record<string, string> = { [HEADERS.attempt]: String(request.attempt) };
    if (request.error) {
      extra[HEADERS.errorName] = request.error.name;
      extra[HEADERS.errorMessage] = request.error.message.slice(0, 1_000);
    }
    const { jobs, retryQueue } = this.t;
    if (d.transport.kind === 'job') {
      const id = this.jobId(d);
      return this.settled(
        1,
        this.write((db) => jobs.resend(db, id, this.owner, request.attempt, request.delayMs, extra)),
      );
    }
    const headers = { ...d.transport.headers, ...extra };
    const copied = this.write((db) =>
      jobs.insert(db, retryQueue, d.payload, headers, request.attempt, request.delayMs),
    );
    if (request.delayMs <= this.t.pollMs) this.nextRetries = Math.min(this.nextRetries, Date.now() + request.delayMs);
    return this.settled(
      1,
      copied.then(() => this.settleOffset(d)),
    );
  }

  deadLetter(d: PgDelivery, request: DeadLetterRequest): Promise<void> {
    const { jobs, log, topic, subscriber } = this.t;
    if (d.transport.kind === 'job') {
      const id = this.jobId(d);
      return this.settled(
        1,
        this.write((db) => jobs.deadLetter(db, id, topic, subscriber, request.reason, request.error)),
      );
    }
    const offset = d.offset as string;
    const copied = this.write((db) =>
      log.deadLetter(db, topic, subscriber, offset, d.attempt, request.reason, request.error),
    );
    return this.settled(
      1,
      copied.then(() => this.settleOffset(d)),
    );
  }

  async release(ds: readonly PgDelivery[]): Promise<void> {
    if (ds.length === 0) return;
    const jobIds = ds.filter((d) => d.transport.kind === 'job').map((d) => this.jobId(d));
    const claimIds = [
      ...new Set(ds.filter((d) => d.transport.kind === 'log').map((d) => d.transport.claimId as string)),
    ];
    const work = async (): Promise<void> => {
      // What was settled before goes in first, so the claim given back starts at its first unsettled offset.
      await this.commits.flush();
      for (const id of claimIds) {
        const held = this.claims.get(id);
        this.claims.delete(id);
        if (held !== undefined && held.tracker.committable !== undefined)
          await this.writeProgress([{ id, next: held.tracker.committable }]);
      }
      const { jobs, log } = this.t;
      if (jobIds.length > 0) await this.write((db) => jobs.giveBack(db, jobIds, this.owner, false));
      if (claimIds.length > 0) await this.write((db) => log.release(db, claimIds, this.owner));
    };
    return this.settled(ds.length, work());
  }
}
