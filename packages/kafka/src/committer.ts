import { serial } from '@rxq/core/kit';
import type { PartitionOffset } from './driver.js';
import type { PartitionState } from './partition.js';

/**
 * Sends commits one after another (never two in flight, so an older commit cannot land after a
 * newer one), each carrying, per partition still owned, the contiguous settled prefix when it
 * moved forward since the last commit.
 */
export class Committer {
  private readonly chain = serial();

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
    return this.chain.run(run);
  }
}

/**
 * The least time between the starts of two commits that the settled count makes due (at most 50
 * a second). With kafkajs a commit shares the broker connection with the fetches, and the broker
 * answers one request of a connection at a time: a fetch sent while a commit is in flight waits
 * for it. At 300k messages a second, a commit every 1,024 settles (about 300 a second) cost 13 %
 * of throughput; spaced this way, see the README's "Commit cost".
 */
export const COUNT_COMMIT_GAP_MS = 20;

/** What a {@link CommitScheduler} needs from its session. */
export interface CommitSchedulerContext {
  /** Commit what can be committed now (the session's settled prefixes); may reject. */
  commit(): Promise<void>;
  /** How many settled messages make a commit due at once. */
  maxUncommitted(): number;
  /** Within how long of a settle a commit goes out otherwise. */
  readonly intervalMs: number;
  /** The least time between the starts of two commits made due by the settled count. @default 0 */
  readonly minGapMs?: number;
  /** A commit failed (a rebalance or a lost connection: the revoke or the next session commits). */
  failed(error: unknown): void;
}

/**
 * Decides when a session commits. One commit at a time; one goes out at once (after this turn of
 * the event loop, so that its acks join it) when `maxUncommitted` messages have settled since the
 * last one was sent, but not sooner than `minGapMs` after the previous one started; else within
 * `intervalMs` of a settle. What becomes due while one is in flight goes out as soon as it is done
 * (coalesced). A crash then redelivers about `maxInFlight` in flight plus what settled since the
 * last commit started (`maxUncommitted`, or what settles in `minGapMs` or one commit's round trip
 * when more), with few commit requests under load.
 */
export class CommitScheduler {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private soon = false;
  private inFlight = false;
  private again = false;
  private settledSince = 0;
  private stopped = false;
  private lastStart = -Infinity;

  constructor(private readonly context: CommitSchedulerContext) {}

  /** `count` messages settled (0: offsets that need no message moved, e.g. transaction markers). */
  settled(count: number): void {
    if (this.stopped) return;
    this.settledSince += count;
    if (this.settledSince >= this.context.maxUncommitted()) this.due();
    else this.at(Date.now() + this.context.intervalMs);
  }

  /** No more commits (close sends its own, failure sends none). */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** The settled count made a commit due: now, or once the minimum gap since the last one passed. */
  private due(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const gapEnd = this.lastStart + (this.context.minGapMs ?? 0);
    if (Date.now() >= gapEnd) this.runSoon();
    else this.at(gapEnd);
  }

  /** A commit at `when` (ms since the epoch) at the latest. */
  private at(when: number): void {
    if (when >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = when;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        if (this.inFlight) this.again = true;
        else this.run();
      },
      Math.max(0, when - Date.now()),
    );
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
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
    this.clearTimer();
    this.inFlight = true;
    this.again = false;
    this.settledSince = 0;
    this.lastStart = Date.now();
    void this.context
      .commit()
      .catch((error: unknown) => this.context.failed(error))
      .finally(() => {
        this.inFlight = false;
        if (this.again) this.due();
      });
  }
}
