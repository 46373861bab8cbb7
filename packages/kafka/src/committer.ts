import type { PartitionOffset } from './driver.js';
import type { PartitionState } from './partition.js';

/**
 * Sends commits one after another (never two in flight, so an older commit cannot land after a
 * newer one), each carrying, per partition still owned, the contiguous settled prefix when it
 * moved forward since the last commit.
 */
export class Committer {
  private chain: Promise<void> = Promise.resolve();

  /** Commits what `states` can commit now through `send`; rejects with `send`'s error. */
  commit(states: readonly PartitionState[], send: (offsets: PartitionOffset[]) => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      const offsets: PartitionOffset[] = [];
      const moved: [PartitionState, number][] = [];
      for (const s of states) {
        const next = s.live ? s.nextCommit() : undefined;
        if (next) {
          offsets.push(next);
          moved.push([s, Number(next.offset)]);
        }
      }
      if (offsets.length === 0) return;
      await send(offsets);
      for (const [s, offset] of moved) if (offset > s.committed) s.committed = offset;
    };
    const result = this.chain.then(run);
    this.chain = result.catch(() => undefined);
    return result;
  }
}

/** What a {@link CommitScheduler} needs from its session. */
export interface CommitSchedulerContext {
  /** Commit what can be committed now (the session's settled prefixes); may reject. */
  commit(): Promise<void>;
  /** How many settled messages make a commit due at once. */
  maxUncommitted(): number;
  /** Within how long of a settle a commit goes out otherwise. */
  readonly intervalMs: number;
  /** A commit failed (a rebalance or a lost connection: the revoke or the next session commits). */
  failed(error: unknown): void;
}

/**
 * Decides when a session commits. One commit at a time; one goes out at once (after this turn of
 * the event loop, so that its acks join it) when `maxUncommitted` messages have settled since the
 * last one was sent, else within `intervalMs` of a settle; what becomes due while one is in flight
 * goes out as soon as it is done (coalesced). A crash then redelivers about `maxInFlight` in flight
 * plus at most `maxUncommitted` settled but not yet committed, with few commit requests under load.
 */
export class CommitScheduler {
  private timer: NodeJS.Timeout | undefined;
  private soon = false;
  private inFlight = false;
  private again = false;
  private settledSince = 0;
  private stopped = false;

  constructor(private readonly context: CommitSchedulerContext) {}

  /** `count` messages settled (0: offsets that need no message moved, e.g. transaction markers). */
  settled(count: number): void {
    if (this.stopped) return;
    this.settledSince += count;
    if (this.settledSince >= this.context.maxUncommitted()) {
      if (this.inFlight) this.again = true;
      else this.runSoon();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.inFlight) this.again = true;
        else this.run();
      }, this.context.intervalMs);
    }
  }

  /** No more commits (close sends its own, failure sends none). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private runSoon(): void {
    if (this.soon) return;
    this.soon = true;
    setImmediate(() => {
      this.soon = false;
      if (this.inFlight) this.again = true;
      else this.run();
    });
  }

  private run(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight = true;
    this.again = false;
    this.settledSince = 0;
    void this.context
      .commit()
      .catch((error: unknown) => this.context.failed(error))
      .finally(() => {
        this.inFlight = false;
        if (this.again) this.runSoon();
      });
  }
}
