import {
  ConnectionLostError,
  type DeadLetterRequest,
  type Logger,
  type OpenContext,
  type ResendRequest,
  type RxqError,
  type Session,
} from '@rxq/core';
import { Wakeup } from '@rxq/core/kit';
import type { PgNotification, PgPool, PgPoolClient, PgQueryable, Pools } from './connection.js';
import type { PgDelivery } from './delivery.js';
import { translate } from './errors.js';

const noop = (): void => undefined;

/** What every session runs with. */
export interface SessionSettings {
  readonly schema: string;
  readonly channel: string;
  readonly pollMs: number;
  readonly leaseMs: number;
}

/**
 * What queue and topic sessions share: a dedicated connection that LISTENs for the schema's
 * channel (its loss is a lost session), statements on the pool (a failed settlement is tried once
 * more on a fresh connection), the wait between an empty claim and the next (a NOTIFY, the next
 * due time or `pollMs`, whichever comes first), lease extension while deliveries are out, and a
 * close that lingers while the app still holds deliveries of this session, so that their
 * settlements still count after a reconnect.
 */
export abstract class PgSession implements Session<PgDelivery> {
  protected state: 'open' | 'closing' | 'closed' = 'open';
  protected intakeStopped = false;
  /** Deliveries handed out and not yet settled. */
  protected outstanding = 0;
  private lostError: RxqError | undefined;
  private notified = false;
  private readonly wakeup = new Wakeup();
  private zeroWaiter: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private leasing = false;
  /** Settlement writes in progress (a batch's promise once). */
  private readonly writes = new Set<Promise<void>>();
  private claiming: Promise<PgDelivery[]> | undefined;
  protected readonly logger: Logger;

  protected constructor(
    protected readonly pool: PgPool,
    private readonly listener: PgPoolClient,
    private readonly pools: Pools,
    private readonly ctx: OpenContext,
    protected readonly settings: SessionSettings,
  ) {
    this.logger = ctx.logger;
    listener.on('notification', this.onNotification);
    listener.on('error', this.onError);
    this.timer = setInterval(() => void this.renew(), Math.max(50, settings.leaseMs / 3));
    this.timer.unref();
  }

  /** Checks out the listening connection. */
  static async listen(pool: PgPool, channel: string): Promise<PgPoolClient> {
    const client = await pool.connect();
    // Until the session takes it over, an error of this connection must not crash the process.
    client.on('error', noop);
    try {
      await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    client.removeListener('error', noop);
    return client;
  }

  /** Whether a NOTIFY with this payload concerns this session. */
  protected abstract wants(payload: string): boolean;
  /** Claims up to `max` deliveries (none when nothing is due). */
  protected abstract fetch(max: number): Promise<PgDelivery[]>;
  /** Milliseconds until something may be due without a NOTIFY, if known. */
  protected abstract nextDueMs(): Promise<number | undefined>;
  /** Extends the leases of what is out. */
  protected abstract extendLeases(): Promise<void>;
  /** Writes what is waiting (batched acks). */
  protected abstract flushWrites(): Promise<void>;

  abstract ack(d: PgDelivery): Promise<void>;
  abstract requeue(d: PgDelivery): Promise<void>;
  abstract resend(d: PgDelivery, request: ResendRequest): Promise<void>;
  abstract deadLetter(d: PgDelivery, request: DeadLetterRequest): Promise<void>;
  abstract release(ds: readonly PgDelivery[]): Promise<void>;

  private readonly onNotification = (n: PgNotification): void => {
    if (n.payload !== undefined && !this.wants(n.payload)) return;
    this.notified = true;
    this.wakeup.wake();
  };

  private readonly onError = (error: Error): void => {
    this.markLost(translate(error, 'listening for notifications'));
  };

  /**
   * The one channel for a loss (the listening connection's error, or a claim or poll that failed
   * on the connection): `context.lost`, once. A receive in progress ends with nothing rather than
   * rejecting for it.
   */
  protected markLost(error: RxqError): void {
    if (this.state !== 'open' || this.lostError !== undefined) return;
    this.lostError = error;
    this.logger.warn({ err: error.message }, 'PostgreSQL session lost');
    this.wakeup.wake();
    this.ctx.lost(error);
  }

  stopIntake(): void {
    this.intakeStopped = true;
    this.wakeup.wake();
  }

  private get stopped(): boolean {
    return this.intakeStopped || this.state !== 'open';
  }

  /**
   * Up to `max` deliveries, after a wait for a NOTIFY or the next due time when none is due. A
   * statement that fails on a lost connection reports the loss (`markLost`) and the receive brings
   * nothing; one that fails otherwise rejects. Called after a loss, it rejects with it.
   */
  async receive(max: number): Promise<readonly PgDelivery[]> {
    if (this.lostError) throw this.lostError;
    for (let round = 0; round < 3; round++) {
      if (this.stopped || this.lostError) return [];
      this.notified = false;
      const claiming = this.claim(max);
      this.claiming = claiming;
      const got = await claiming;
      if (got.length > 0) {
        if (this.stopped) {
          // Claimed after the stop began: never handed out.
          await this.release(got).catch(noop);
          return [];
        }
        return got;
      }
      if (round === 2 || this.stopped) return [];
      if (this.notified) continue;
      let dueMs: number | undefined;
      try {
        dueMs = await this.nextDueMs();
      } catch (error) {
        this.failed(error, 'a poll');
        return [];
      }
      await this.sleep(Math.min(this.settings.pollMs, dueMs ?? Infinity));
    }
    return [];
  }

  private async claim(max: number): Promise<PgDelivery[]> {
    try {
      const got = await this.fetch(max);
      this.outstanding += got.length;
      return got;
    } catch (error) {
      this.failed(error, 'a claim');
      return [];
    }
  }

  /** A statement of `receive` failed: a loss goes to `markLost`, anything else is thrown. */
  private failed(error: unknown, what: string): void {
    if (this.lostError !== undefined) return;
    const translated = translate(error, what);
    if (!translated.retryable) throw translated;
    this.markLost(translated);
  }

  private async sleep(ms: number): Promise<void> {
    if (this.notified || this.stopped || this.lostError) return;
    await this.wakeup.wait(ms);
  }

  /** Runs a settlement statement, once more on a fresh pool connection if the first one was cut. */
  protected async write(run: (db: PgQueryable) => Promise<void>): Promise<void> {
    try {
      await run(this.pool);
    } catch (error) {
      if (!translate(error, 'a settlement').retryable) throw error;
      await run(this.pool);
    }
  }

  /**
   * Counts `count` deliveries settled and returns `write`: as it is while the session is open; on
   * a closing session translated, and resolved when the session is done.
   */
  protected settled(count: number, write: Promise<void>): Promise<void> {
    // Close waits for every settlement write before it gives up the pool.
    if (!this.writes.has(write)) {
      this.writes.add(write);
      const forget = (): void => void this.writes.delete(write);
      write.then(forget, forget);
    }
    this.outstanding -= count;
    if (this.outstanding <= 0) this.zeroWaiter?.();
    // While open, the write as it is: a batch hands the same promise to each of its settlements.
    if (this.state === 'open' || this.closing === undefined) return write;
    const written = write.catch((error: unknown) => {
      throw translate(error, 'a settlement');
    });
    const closing = this.closing;
    return written.then(() => closing);
  }

  private async renew(): Promise<void> {
    if (this.leasing || this.state === 'closed' || this.outstanding <= 0) return;
    this.leasing = true;
    try {
      await this.extendLeases();
    } catch (error) {
      this.logger.warn({ err: translate(error, 'a lease extension').message }, 'could not extend leases');
    } finally {
      this.leasing = false;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    this.wakeup.wake();
    this.listener.removeListener('notification', this.onNotification);
    // Keep a listener: an error of this connection after close must not crash the process.
    this.listener.removeListener('error', this.onError);
    this.listener.on('error', noop);
    const clean =
      this.lostError === undefined &&
      (await this.listener.query(`UNLISTEN "${this.settings.channel}"`).then(
        () => true,
        () => false,
      ));
    // A connection that failed is destroyed, not put back into the pool.
    this.listener.release(clean ? undefined : new ConnectionLostError('the listening connection failed'));
    // Back in the pool, the pool listens for its errors; a destroyed one keeps this guard.
    if (clean) this.listener.removeListener('error', noop);
    // A claim still out comes back to a closing session, which gives what it brought back.
    await this.claiming?.catch(noop);
    if (this.outstanding > 0) await new Promise<void>((resolve) => (this.zeroWaiter = resolve));
    await this.flushWrites().catch(noop);
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
    await this.flushWrites().catch(noop);
    clearInterval(this.timer);
    this.state = 'closed';
    await this.pools.release();
  }
}
