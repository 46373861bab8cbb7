import type { OpenContext } from '../connector.js';
import { ConnectionLostError } from '../errors.js';
import { InFlightCount } from '../kit/inFlightCount.js';
import type { Logger } from '../logger.js';

/**
 * One open of a connector and the session it gives, as the run sees them: the context handed to
 * `open`, the session's in-flight count, and the one rule for its loss, so that no connector needs
 * a flag of its own to report a loss at the right moment:
 * - reported while the open is pending: held. If the open rejects, its own error decides (a
 *   missing queue that also closed the channel ends the stream); if it resolves, the held loss
 *   applies at once.
 * - reported once open: the first one reaches the run; it wins over a receive that rejects after it.
 * - reported after the session was given up (its open failed or was abandoned, it was lost or
 *   replaced): dropped.
 */
export class SessionLink {
  readonly count = new InFlightCount();
  readonly context: OpenContext;
  private state: 'opening' | 'open' | 'over' = 'opening';
  private held: unknown;

  constructor(
    maxInFlight: number,
    logger: Logger,
    private readonly onLost: (error: unknown) => void,
  ) {
    const count = this.count;
    this.context = {
      maxInFlight,
      logger,
      lost: (error) => this.lost(error),
      get inFlight() {
        return count.inFlight;
      },
      settled: () => count.settled(),
    };
  }

  /** The open resolved: a loss held while it was pending reaches the run now. */
  opened(): void {
    if (this.state !== 'opening') return;
    this.state = 'open';
    if (this.held !== undefined) this.lost(this.held);
  }

  /** The open failed or was abandoned, or the session was lost: whatever it reports is dropped. */
  end(): void {
    this.state = 'over';
  }

  private lost(error: unknown): void {
    const loss = error ?? new ConnectionLostError('connection lost');
    if (this.state === 'opening') this.held ??= loss;
    else if (this.state === 'open') {
      this.state = 'over';
      this.onLost(loss);
    }
  }
}
