import { wakeOrTimeout } from '@rxq/core/kit';
import type { KafkaDriver, PartitionOffset, TopicPartition } from './driver.js';
import type { SeekTarget } from './options.js';
import { PartitionState } from './partition.js';

/**
 * The partitions a session owns, one {@link PartitionState} per partition per generation. A new
 * generation retires every state of the previous one, so late acks of a partition that moved to
 * another consumer commit nothing.
 */
export class Assignments {
  private states = new Map<string, PartitionState>();
  /** Partitions whose seek by timestamp is being looked up: it applies to whichever generation owns them when it ends. */
  private readonly lookups = new Set<string>();
  private epoch = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly driver: KafkaDriver,
    private readonly seekOnce: (tp: TopicPartition) => readonly SeekTarget[],
    private readonly onRevoke: () => void,
  ) {}

  /** The current state of a partition (made on the fly if a batch arrives before the join event). */
  stateOf(tp: TopicPartition): PartitionState {
    const key = keyOf(tp);
    let s = this.states.get(key);
    if (!s) {
      s = new PartitionState(tp.topic, tp.partition, this.epoch);
      this.states.set(key, s);
    }
    return s;
  }

  /** A new generation: retire every previous state, make new ones, apply pending seeks. */
  assign(partitions: readonly TopicPartition[]): void {
    this.epoch++;
    for (const s of this.states.values()) {
      s.live = false;
      s.cancelDelayed();
    }
    this.states = new Map();
    this.onRevoke();
    this.wake();
    for (const tp of partitions) {
      const state = this.stateOf(tp);
      // A lookup begun in the previous generation still moves this partition when it ends.
      if (this.lookups.has(keyOf(tp))) state.seeking = true;
      for (const target of this.seekOnce(tp)) this.seek(state, target);
    }
  }

  private seek(state: PartitionState, target: SeekTarget): void {
    const { topic, partition } = state;
    if (!('timestamp' in target)) {
      this.driver.seek({ topic, partition, offset: String(target.offset) });
      return;
    }
    const key = keyOf(state);
    state.seeking = true;
    this.lookups.add(key);
    // Records fetched during the lookup are dropped; if it fails, go back to the first of them so
    // that nothing is skipped. A rebalance during the lookup (a new group often joins twice) hands
    // the partition to a new state: the seek applies to that one, or is lost with the partition.
    const done = (to: PartitionOffset | undefined): void => {
      this.lookups.delete(key);
      const owner = this.states.get(key);
      if (!owner?.live) return;
      const droppedFrom = owner.droppedFrom ?? state.droppedFrom;
      const target = to ?? (droppedFrom === undefined ? undefined : { topic, partition, offset: droppedFrom });
      if (target) this.driver.seek(target);
      owner.seeking = false;
    };
    this.driver.offsetsAt(topic, target.timestamp).then(
      (found) => done(found.find((o) => o.partition === partition)),
      () => done(undefined),
    );
  }

  /** Marks every owned partition as being revoked; returns them. Buffered records are dropped. */
  startRevoke(): PartitionState[] {
    const list = [...this.states.values()].filter((s) => s.live && !s.revoking);
    for (const s of list) {
      s.revoking = true;
      s.cancelDelayed();
    }
    if (list.length > 0) this.onRevoke();
    return list;
  }

  /** Owned partitions whose settled offsets may be committed on the interval. */
  committing(): PartitionState[] {
    return [...this.states.values()].filter((s) => s.live && !s.revoking);
  }

  /** Resolves when no emitted message of `states` is in flight, or after `timeoutMs`. */
  settled(states: readonly PartitionState[], timeoutMs: number): Promise<void> {
    const busy = (): boolean => states.some((s) => s.emitted > 0);
    if (!busy()) return Promise.resolve();
    let check!: () => void;
    return wakeOrTimeout(
      timeoutMs,
      (wake) => {
        check = () => {
          if (busy()) return;
          this.waiters.delete(check);
          wake();
        };
        this.waiters.add(check);
      },
      () => this.waiters.delete(check),
    ).then(() => undefined);
  }

  /** Tells waiters that something settled. */
  wake(): void {
    // On the path of every ack: no copy of the set unless someone waits (a revoke).
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }

  /** Cancels every delayed resend (on close). */
  cancelDelayed(): void {
    for (const s of this.states.values()) s.cancelDelayed();
  }
}

const keyOf = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;
