import type { Delivery, OpenContext, Session } from '@rxq/core';
import type { Redis } from 'ioredis';
import { closeBlocking, lost, translate, type Connections } from './connection.js';
import { clean } from './errors.js';
import type { RxqError } from '@rxq/core';

const noop = (): void => undefined;

/**
 * What the three Redis sessions share: a dedicated blocking connection, loss detection on both
 * connections, and a close that lingers while the app still holds deliveries of this session
 * (`context.settled()`), so that their settlements (which go through the shared command
 * connection) still count after a reconnect. Subclasses fetch (`fetch`), build deliveries
 * (`deliver`) and write settlements.
 */
export abstract class RedisSession<D extends Delivery, R> implements Session<D> {
  protected state: 'open' | 'closing' | 'closed' = 'open';
  private lostError: RxqError | undefined;
  private readonly fetches = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  private intakeStopped = false;
  private readonly blockingId: Promise<unknown>;
  /** The last error the blocking connection reported, the cause of a close that follows it. */
  private lastError: unknown;
  private readonly onError = (error: unknown): void => void (this.lastError = clean(error));
  private readonly onClose = (): void => this.markLost(lost('the Redis connection closed', this.lastError));

  constructor(
    protected readonly cmd: Redis,
    protected readonly blk: Redis,
    private readonly ctx: OpenContext,
    private readonly connections: Connections,
  ) {
    cmd.on('close', this.onClose);
    blk.on('close', this.onClose);
    blk.on('error', this.onError);
    this.blockingId = blk.client('ID');
    this.blockingId.catch(noop);
  }

  /** Fetches up to `max` raw entries (may block on `blk` for a while). */
  protected abstract fetch(max: number): Promise<R>;
  /** Turns what `fetch` brought into deliveries. */
  protected abstract deliver(raw: R): D[];
  /** Gives back what a fetch brought after the intake stopped (never handed out). */
  protected abstract giveBack(raw: R): Promise<void>;
  /** Writes what is waiting (batched settlements) before the session goes. */
  protected abstract flushWrites(): Promise<void>;
  /** Last words once nothing is in flight and no fetch is running (e.g. unregister). */
  protected abstract retire(): Promise<void>;

  abstract ack(delivery: D): void | Promise<void>;
  abstract requeue(delivery: D): void | Promise<void>;
  abstract resend(delivery: D, request: import('@rxq/core').ResendRequest): Promise<void>;
  abstract deadLetter(delivery: D, request: import('@rxq/core').DeadLetterRequest): Promise<void>;
  abstract release(deliveries: readonly D[]): Promise<void>;

  /**
   * The one channel for a loss (a close event or a fetch that failed on the connection):
   * `context.lost`, once. A receive in progress is not rejected for it: `fromQueue` stops waiting
   * for it, and `close` ends its fetch.
   */
  protected markLost(error: RxqError): void {
    if (this.state !== 'open' || this.lostError !== undefined) return;
    this.lostError = error;
    const cause = error.cause instanceof Error ? error.cause.message : 'closed by the server or the network';
    this.ctx.logger.warn({ code: error.code, cause }, error.message);
    this.ctx.lost(error);
  }

  /**
   * A stop began: fetch no more, and wake a blocked read (`CLIENT UNBLOCK`) so that the stop does
   * not wait out `blockMs`. What a fetch still brings is given back here, never handed out.
   */
  stopIntake(): void {
    if (this.intakeStopped) return;
    this.intakeStopped = true;
    void this.blockingId.then((id) => this.connections.unblock(this.cmd, this.blk, id as number)).catch(noop);
  }

  /** Whether the intake stopped or the session is going: a fetch must not block any more. */
  protected get stopped(): boolean {
    return this.intakeStopped || this.state !== 'open';
  }

  /**
   * Up to `max` deliveries. A fetch that fails on a lost connection reports the loss (`markLost`)
   * and brings nothing; one that fails otherwise (a script error, a wrong type) rejects. Called
   * after a loss, it rejects with it.
   */
  async receive(max: number): Promise<readonly D[]> {
    if (this.state !== 'open' || this.intakeStopped) return [];
    if (this.lostError) throw this.lostError;
    const work = this.fetch(max);
    this.fetches.add(work);
    const forget = (): void => void this.fetches.delete(work);
    work.then(forget, forget);
    let raw: R;
    try {
      raw = await work;
    } catch (error) {
      if (this.lostError !== undefined || this.state !== 'open') return [];
      const translated = translate(error, 'a receive');
      if (!translated.retryable) throw translated;
      this.markLost(translated);
      return [];
    }
    if (this.intakeStopped) {
      await this.giveBack(raw).catch(noop);
      return [];
    }
    return this.deliver(raw);
  }

  /**
   * Returns a settlement's `write`: as it is while the session is open (`fromQueue` records a
   * failure as a retryable SETTLE_FAILED); on a closing session translated, and resolved only when
   * the session is done, so that a stop waits for the last words.
   */
  protected settled(write: Promise<void>): Promise<void> {
    if (this.state === 'open' || this.closing === undefined) return write;
    const written = write.then(noop, (error: unknown) => {
      throw translate(error, 'a settlement');
    });
    const closing = this.closing;
    return written.then(() => closing);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    await closeBlocking(this.blk);
    await this.ctx.settled();
    await this.flushWrites().catch(noop);
    await Promise.allSettled([...this.fetches]);
    try {
      await this.retire();
    } finally {
      this.cmd.off('close', this.onClose);
      this.blk.off('close', this.onClose);
      this.blk.off('error', this.onError);
      this.state = 'closed';
      await this.connections.release();
      this.ctx.logger.debug({}, 'closed the Redis session');
    }
  }
}
