import { errorInfo, type Logger } from '@rxq/core';

/** A tick that took longer than the period: the next one starts at once, with no catch-up burst. */
export interface Overrun {
  /** The tick that overran, from 0. */
  readonly tick: number;
  /** How long its work took (from the tick's start until its work was done), ms. */
  readonly tookMs: number;
  /** The period it had. */
  readonly periodMs: number;
  /** How late the next tick starts against the schedule: `tookMs - periodMs`. */
  readonly lateMs: number;
}

/** What each tick's work is handed. */
export interface Tick {
  /** From 0. */
  readonly tick: number;
  /** When the tick started, on the clock in use (ms). */
  readonly startedAt: number;
}

/**
 * The fixed-rate rule shared by {@link fixedRate} and {@link atFixedRate}: a tick starts
 * `periodMs` after the previous one started, or at once if that one's work took longer (an
 * overrun, reported) — never a burst of missed ticks. @internal
 */
export class TickClock {
  private tick = -1;
  private startedAt = 0;

  constructor(
    private readonly periodMs: number,
    private readonly overrun: (overrun: Overrun) => void,
  ) {}

  begin(now: number): Tick {
    this.tick++;
    this.startedAt = now;
    return { tick: this.tick, startedAt: now };
  }

  /** The current tick's work is done at `now`: how long to wait before the next tick starts. */
  end(now: number): number {
    const tookMs = now - this.startedAt;
    const { periodMs } = this;
    if (tookMs > periodMs) this.overrun({ tick: this.tick, tookMs, periodMs, lateMs: tookMs - periodMs });
    return Math.max(0, periodMs - tookMs);
  }
}

/** Reports an overrun to the logger (`warn`) and to `onOverrun`, whose throw is logged, never raised. */
export function overrunReporter(
  name: string,
  logger: Logger,
  onOverrun: ((overrun: Overrun) => void) | undefined,
): (overrun: Overrun) => void {
  return (overrun) => {
    logger.warn(
      { name, ...overrun },
      `${name}: tick ${overrun.tick} took ${Math.round(overrun.tookMs)} ms, over its ${overrun.periodMs} ms period`,
    );
    try {
      onOverrun?.(overrun);
    } catch (error) {
      logger.error({ name, error: errorInfo(error) }, `${name}: onOverrun threw`);
    }
  };
}
