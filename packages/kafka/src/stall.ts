import type { TopicPartition } from './driver.js';

/** Where a partition stands: the next offset the session would hand out, and the partition's end. */
export interface PartitionBacklog extends TopicPartition {
  /** The next offset to consume (the group's committed offset, or past what the session settled); -1: unknown. */
  readonly position: number;
  /** The partition's end (its high watermark). */
  readonly end: number;
}

/** What the watchdog asks of the session it watches. */
export interface StallHost<P extends TopicPartition = TopicPartition> {
  /** Partitions owned now (live, not being revoked). */
  owned(): readonly P[];
  /** Whether anything is buffered, in flight, held for credit or being produced (not a stall). */
  busy(): boolean;
  /** Position and end of each partition (asks the broker). */
  backlog(partitions: readonly P[]): Promise<readonly PartitionBacklog[]>;
  /** The session is stalled: report it lost. */
  stalled(lagging: PartitionBacklog, idleMs: number): void;
}

/**
 * Catches a consumer that stopped fetching without a word: joined and assigned, nothing buffered or
 * in flight, no record fetched for `timeoutMs`, yet a partition it owns has records past its
 * position. The client's fetch loop is then stuck (kafkajs after the brokers moved, for one), and
 * the session is reported lost so that `fromQueue` opens a new one, which fetches again from the
 * committed offsets. Asks the broker at most once per `timeoutMs`, and only while idle.
 *
 * @example
 * const watchdog = new StallWatchdog(host, 30_000);
 * watchdog.start(); // then watchdog.activity() on every fetch and settle, watchdog.stop() on close
 */
export class StallWatchdog<P extends TopicPartition = TopicPartition> {
  private lastActivity: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking = false;
  private stopped = false;

  constructor(
    private readonly host: StallHost<P>,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastActivity = now();
  }

  /** Checks every quarter of `timeoutMs` (never with `timeoutMs` 0). */
  start(): void {
    if (this.timeoutMs === 0 || this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.check(), Math.max(Math.floor(this.timeoutMs / 4), 50));
    this.timer.unref?.();
  }

  /** Something was fetched, settled or assigned: the consumer is alive. */
  activity(): void {
    this.lastActivity = this.now();
  }

  private idle(): boolean {
    return !this.stopped && this.now() - this.lastActivity >= this.timeoutMs && !this.host.busy();
  }

  /** One check; true when it reported a stall. */
  async check(): Promise<boolean> {
    if (this.checking || !this.idle()) return false;
    const owned = this.host.owned();
    if (owned.length === 0) return false;
    this.checking = true;
    try {
      const backlog = await this.host.backlog(owned);
      if (!this.idle()) return false; // something came meanwhile
      const lagging = backlog.find((b) => b.position >= 0 && b.end > b.position);
      if (!lagging) {
        this.activity(); // caught up: ask again only after another timeoutMs of quiet
        return false;
      }
      const idleMs = this.now() - this.lastActivity;
      this.stop();
      this.host.stalled(lagging, idleMs);
      return true;
    } catch {
      return false; // the broker could not say: ask again at the next check
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
