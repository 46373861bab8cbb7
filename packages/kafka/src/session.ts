import {
  deadLetterHeaders,
  Fifo,
  resendHeaders,
  type DeadLetterRequest,
  type RxqError,
  type OpenContext,
  type ResendRequest,
  type Session,
} from '@rxq/core';
import { Wakeup } from '@rxq/core/kit';
import type {
  BatchControl,
  HeaderValue,
  KafkaDriver,
  KafkaRecord,
  OutgoingRecord,
  PartitionOffset,
  TopicPartition,
} from './driver.js';
import type { KafkaSettings, SeekTarget } from './options.js';
import { KafkaDelivery, PartitionState } from './partition.js';
import { Assignments } from './assignments.js';
import { COUNT_COMMIT_GAP_MS, CommitScheduler, Committer } from './committer.js';
import { UnknownTopicGrace } from './unknownTopic.js';
import { StallWatchdog, type PartitionBacklog } from './stall.js';

/**
 * One consumer-group membership: buffers fetched records, holds the fetch loop while buffered + in
 * flight (`context.inFlight`, and the copies being produced) reaches `maxInFlight`, tracks settled
 * offsets per assignment and commits the contiguous prefix as {@link CommitScheduler} decides, on
 * revoke and on close.
 */
export class KafkaSession implements Session<KafkaDelivery> {
  private readonly buffer = new Fifo<KafkaDelivery>();
  private readonly assignments: Assignments;
  /** Wakes a `receive` waiting for records (they came, or the session failed or closed). */
  private readonly data = new Wakeup();
  /** Wakes the fetch loop held for credit (a settle, a stop). */
  private readonly credit = new Wakeup();
  private failure: RxqError | undefined;
  private closed = false;
  private readonly committer = new Committer();
  private readonly scheduler: CommitScheduler;
  /** Copies being produced (a resend, a dead letter): their originals still hold credit. */
  private readonly ops = new Set<Promise<unknown>>();
  private readonly watchdog: StallWatchdog<PartitionState>;

  constructor(
    private readonly driver: KafkaDriver,
    private readonly settings: KafkaSettings,
    private readonly context: OpenContext,
    seekOnce: (tp: TopicPartition) => readonly SeekTarget[],
    private readonly topics: UnknownTopicGrace = new UnknownTopicGrace(settings.topics, settings.unknownTopicRetryMs),
  ) {
    this.assignments = new Assignments(driver, seekOnce, () => this.dropBuffered());
    this.scheduler = new CommitScheduler({
      commit: () => this.commit(this.assignments.committing(), (o) => this.driver.commit(o)),
      maxUncommitted: () => settings.maxUncommitted ?? context.maxInFlight,
      intervalMs: settings.commitIntervalMs,
      minGapMs: COUNT_COMMIT_GAP_MS,
      failed: (error) => context.logger.debug({ error: (error as Error)?.name }, 'Kafka commit failed'),
    });
    this.watchdog = new StallWatchdog(
      {
        owned: () => this.assignments.committing(),
        busy: () => this.buffer.size > 0 || context.inFlight > 0 || this.credit.waiting || this.ops.size > 0,
        backlog: (partitions) => this.backlog(partitions),
        stalled: (lagging, idleMs) => {
          const behind = lagging.end - lagging.position;
          context.logger.warn(
            { topic: lagging.topic, partition: lagging.partition, behind, idleMs },
            `Kafka consumer stalled: nothing fetched for ${idleMs} ms while ${lagging.topic}/${lagging.partition} is ${behind} records behind; reconnecting`,
          );
          this.fail(new StalledError(`${lagging.topic}/${lagging.partition} is ${behind} records behind`));
        },
      },
      driver.offsetsOf ? settings.stallTimeoutMs : 0,
    );
  }

  /** Where each owned partition stands: past what is committed or settled here, against its end. */
  private async backlog(partitions: readonly PartitionState[]): Promise<PartitionBacklog[]> {
    const out: PartitionBacklog[] = [];
    for (const topic of new Set(partitions.map((p) => p.topic))) {
      const offsets = (await this.driver.offsetsOf?.(topic)) ?? [];
      for (const state of partitions) {
        const o = state.topic === topic ? offsets.find((x) => x.partition === state.partition) : undefined;
        if (!o) continue;
        const position = Math.max(o.committed, state.tracker.committable ?? -1);
        out.push({ topic, partition: state.partition, position, end: o.end });
      }
    }
    this.context.logger.debug(
      { backlog: out.map((b) => `${b.topic}/${b.partition}: ${b.position} of ${b.end}`) },
      'Kafka consumer idle: checked its partitions for records it did not fetch',
    );
    return out;
  }

  async start(): Promise<void> {
    try {
      await this.driver.start({
        batch: (tp, records, control, lastOffset) => this.onBatch(tp, records, control, lastOffset),
        filtered: (tp, lastOffset) => this.onFiltered(tp, lastOffset),
        rebalancing: () => this.onRebalancing(),
        assigned: (partitions) => {
          if (partitions.length > 0) this.topics.known();
          this.watchdog.activity();
          this.assignments.assign(partitions);
        },
        crashed: (error) => this.fail(error),
      });
    } catch (error) {
      await this.driver.stop();
      throw this.topics.classify(error, 'could not join the Kafka consumer group');
    }
    this.watchdog.start();
  }

  /** `handing`: deliveries a receive is returning, not counted in `context.inFlight` yet. */
  private hasCredit(handing = 0): boolean {
    return this.buffer.size + handing + this.context.inFlight + this.ops.size < this.context.maxInFlight;
  }

  private async onBatch(
    tp: TopicPartition,
    records: readonly KafkaRecord[],
    control: BatchControl,
    lastOffset: string | undefined,
  ): Promise<void> {
    this.watchdog.activity();
    const state = this.assignments.stateOf(tp);
    if (state.seeking) state.droppedFrom ??= records[0]?.offset;
    if (this.closed || state.revoking || state.seeking) return;
    // The group's position is at least where this assignment's first fetch started.
    if (state.committed < 0 && records.length > 0) state.committed = Number(records[0]?.offset);
    const skip = this.settings.skipTombstones;
    let settled = false;
    for (const record of records) {
      const position = Number(record.offset);
      state.tracker.add(position);
      if (skip && record.value === null) {
        state.tracker.settle(position); // a skipped tombstone counts as handled
        settled = true;
      } else this.buffer.push(new KafkaDelivery(state, record, position));
    }
    // Records fetched but never delivered (a transaction's marker, aborted records) settle at once;
    // only those past the last delivered record (that one settles when it is acked).
    const last = records.length > 0 ? Number(records[records.length - 1]?.offset) : -1;
    if (lastOffset !== undefined && Number(lastOffset) > last && this.pastTheEnd(state, Number(lastOffset)))
      settled = true;
    if (settled) this.scheduler.settled(0);
    this.data.wake();
    // Credit: hold the fetch loop (heartbeating) until buffered + in flight drops below the bound.
    while (!this.closed && !state.revoking && !this.hasCredit()) {
      await this.credit.wait(this.settings.heartbeatIntervalMs);
      try {
        await control.heartbeat();
      } catch (error) {
        if (control.isRebalance(error)) await this.revoke(control);
        throw error;
      }
    }
  }

  /** Marks `offset` fetched and settled when it is past every delivered offset. */
  private pastTheEnd(state: PartitionState, offset: number): boolean {
    const before = state.tracker.committable;
    if (before !== undefined && offset < before) return false;
    state.tracker.add(offset);
    return state.tracker.settle(offset);
  }

  /** A fetch with nothing to deliver (transaction markers, aborted records) up to `lastOffset`. */
  private onFiltered(tp: TopicPartition, lastOffset: string): void {
    this.watchdog.activity();
    const state = this.assignments.stateOf(tp);
    if (this.closed || state.revoking || state.seeking || !state.live) return;
    if (this.pastTheEnd(state, Number(lastOffset))) this.scheduler.settled(0);
  }

  /** Revoke while holding a batch: the rejoin waits for this, so in-flight messages get time. */
  private async revoke(control: BatchControl): Promise<void> {
    const states = this.assignments.startRevoke();
    await this.assignments.settled(states, this.settings.revokeTimeoutMs);
    await this.commit(states, (o) => control.commit(o)).catch(() => undefined);
  }

  /** The group rebalances outside a held batch: stop emitting, commit at once (best effort). */
  private onRebalancing(): void {
    const states = this.assignments.startRevoke();
    if (states.length > 0) void this.commit(states, (o) => this.driver.commit(o)).catch(() => undefined);
  }

  private dropBuffered(): void {
    this.buffer.clear();
    this.credit.wake();
  }

  private fail(error: unknown): void {
    if (this.failure || this.closed) return;
    // Bad credentials or a feature the client lacks end the stream; anything else reconnects.
    this.failure = this.topics.classify(error, 'the Kafka consumer stopped');
    this.scheduler.stop();
    this.watchdog.stop();
    if (!this.failure.retryable)
      this.context.logger.error({ code: this.failure.code }, `Kafka consumer failed: ${this.failure.message}`);
    this.data.wake();
    this.context.lost(this.failure);
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  async receive(max: number): Promise<readonly KafkaDelivery[]> {
    this.check();
    if (this.buffer.size === 0 && !this.closed) {
      await this.data.wait(this.settings.pollMs);
      this.check();
    }
    const out: KafkaDelivery[] = [];
    while (out.length < max) {
      const d = this.buffer.shift();
      if (d === undefined) break;
      if (!d.state.live || d.state.revoking) continue;
      d.state.emitted++;
      out.push(d);
    }
    if (this.hasCredit(out.length)) this.credit.wake();
    return out;
  }

  /** Gives the delivery's credit back; with `settle`, marks its offset done (if still owned). */
  private finish(d: KafkaDelivery, settle: boolean): void {
    if (d.done) return;
    d.done = true;
    d.state.emitted--;
    if (settle && d.state.live && d.state.tracker.settle(d.position)) this.scheduler.settled(1);
    this.watchdog.activity();
    this.assignments.wake();
    if (this.hasCredit()) this.credit.wake();
  }

  ack(d: KafkaDelivery): void {
    this.finish(d, true);
  }

  requeue(d: KafkaDelivery): Promise<void> {
    return this.resend(d, { attempt: d.attempt + 1, delayMs: 0 });
  }

  resend(d: KafkaDelivery, request: ResendRequest): Promise<void> {
    const copy = copyOf(d, resendHeaders(undefined, request));
    const topic = this.settings.retryTopic ?? d.source;
    return this.produce(d, topic, copy, request.delayMs, topic !== d.source);
  }

  deadLetter(d: KafkaDelivery, request: DeadLetterRequest): Promise<void> {
    const copy = copyOf(d, deadLetterHeaders(undefined, request, `${d.source}/${d.partition}/${d.offset}`));
    return this.produce(d, this.settings.deadLetterTopic(d.source), copy, 0, true);
  }

  /** Produces the copy (after `delayMs`, holding credit), then settles the original. */
  private produce(
    d: KafkaDelivery,
    topic: string,
    copy: OutgoingRecord,
    delayMs: number,
    create: boolean,
  ): Promise<void> {
    if (d.done || this.closed) {
      this.finish(d, false);
      return Promise.resolve();
    }
    // Resolves whether the original is settled (false: a delayed resend cancelled by a revoke).
    const op = (async () => {
      if (delayMs > 0 && !(await d.state.delay(delayMs))) return false;
      if (create && this.driver.ensureTopic)
        await this.driver.ensureTopic(topic).catch((error: unknown) =>
          // No right to create topics: the broker may still auto-create it on produce.
          this.context.logger.debug({ topic, error: (error as Error)?.name }, 'could not create the Kafka topic'),
        );
      await this.driver.produce(topic, [copy]);
      return true;
    })();
    this.ops.add(op);
    // Out of `ops` before `finish`, which gives the credit back.
    return op.then(
      (settle) => {
        this.ops.delete(op);
        this.finish(d, settle);
      },
      (error: unknown) => {
        this.ops.delete(op);
        this.finish(d, false); // left unsettled: delivered again by the group
        throw error;
      },
    );
  }

  release(ds: readonly KafkaDelivery[]): Promise<void> {
    // Not committed: the group delivers them again from the last committed offset.
    for (const d of ds) this.finish(d, false);
    return Promise.resolve();
  }

  private commit(states: readonly PartitionState[], send: (o: PartitionOffset[]) => Promise<void>): Promise<void> {
    return this.committer.commit(states, send);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.stop();
    this.watchdog.stop();
    this.assignments.cancelDelayed();
    this.data.wake();
    this.credit.wake();
    await Promise.allSettled([...this.ops]);
    if (!this.failure)
      await this.commit(this.assignments.committing(), (o) => this.driver.commit(o)).catch(() => undefined);
    await this.driver.stop();
  }
}

/** The stall watchdog found records the consumer does not fetch. */
class StalledError extends Error {
  override readonly name = 'StalledError';
}

/**
 * A copy of the delivered record, built from the raw record: key, value and every header byte for
 * byte (repeated names kept), with rxq's own headers (`x-rxq-*`) set to `own`.
 */
function copyOf(d: KafkaDelivery, own: Readonly<Record<string, string>>): OutgoingRecord {
  const headers: Record<string, HeaderValue> = {};
  const original = d.record.headers;
  for (const name in original) if (!(name in own)) headers[name] = original[name];
  for (const name in own) headers[name] = own[name];
  return { key: d.rawKey, value: d.payload, headers };
}
