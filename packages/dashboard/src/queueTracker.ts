import type { AdminQueueStats, DashboardAdmin, OpenAdmin } from './admin.js';
import type { QueueConfig } from './options.js';
import { describeError, trim, type QueueView, type Series } from './state.js';

/** One configured queue: its admin (opened on first use, again after a failed open) and its history. */
export class QueueTracker {
  private admin: DashboardAdmin | undefined;
  private opening: Promise<DashboardAdmin> | undefined;
  private stats: AdminQueueStats | null = null;
  private error: string | null = null;
  private updatedAt: number | null = null;
  private readonly history: Series<'depth' | 'deadLetters' | 'consumed'> = {
    at: [],
    depth: [],
    deadLetters: [],
    consumed: [],
  };
  private closed = false;

  constructor(
    readonly id: string,
    private readonly config: QueueConfig,
    private readonly opener: () => Promise<OpenAdmin>,
    private readonly timeoutMs: number,
    private readonly historyMs: number,
  ) {}

  /** The queue's name. */
  get queue(): string {
    return this.config.queue;
  }

  /** The queue's admin, opening it if needed. */
  async open(): Promise<DashboardAdmin> {
    if (this.admin) return this.admin;
    this.opening ??= (async () => {
      const openAdmin = await this.opener();
      const { url, queue, deadLetter, group } = this.config;
      const admin = await openAdmin(url, queue, {
        ...(deadLetter === undefined ? {} : { deadLetter }),
        ...(group === undefined ? {} : { group }),
      });
      if (this.closed) {
        await admin.close();
        throw new Error('the dashboard is closed');
      }
      this.admin = admin;
      return admin;
    })().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** Reads the broker's figures now; a failure shows on the page and keeps the last ones. */
  async poll(consumedPerSec: number | null): Promise<void> {
    const at = Date.now();
    try {
      const admin = await withTimeout(this.open(), this.timeoutMs, 'opening the queue');
      this.stats = await withTimeout(admin.stats(), this.timeoutMs, 'reading its stats');
      this.error = null;
      this.updatedAt = at;
    } catch (error) {
      this.error = describeError(error);
    }
    const h = this.history;
    h.at.push(at);
    h.depth.push(this.error === null ? (this.stats?.depth ?? null) : null);
    h.deadLetters.push(this.error === null ? (this.stats?.deadLetters ?? null) : null);
    h.consumed.push(consumedPerSec === null ? null : Math.round(consumedPerSec * 1_000) / 1_000);
    trim(h, at - this.historyMs);
  }

  view(consumedPerSec: number | null): QueueView {
    const a = this.admin;
    return {
      id: this.id,
      broker: a?.broker ?? null,
      queue: this.config.queue,
      target: a?.target ?? null,
      destination: a?.deadLetters.destination ?? null,
      capabilities: { redrive: a?.capabilities.redrive ?? false, purge: a?.capabilities.purge ?? false },
      stats: this.stats,
      error: this.error,
      updatedAt: this.updatedAt,
      consumedPerSec,
      history: this.history,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.close();
  }
}

/** `promise`, or a rejection after `ms` (the broker did not answer; the next poll tries again). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
