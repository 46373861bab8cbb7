import type { Connector, Delivery, OpenContext } from '../connector.js';
import { silentLogger } from '../logger.js';

/** What {@link cutReceive} saw. */
export interface CutReceiveResult {
  /** Every error the session reported through `context.lost`, in order. */
  readonly lost: readonly unknown[];
  /** How the receive in progress when the connection was cut ended. */
  readonly cut: PromiseSettledResult<readonly Delivery[]>;
  /** How a receive asked for after the loss ended. */
  readonly after: PromiseSettledResult<readonly Delivery[]>;
}

/**
 * The lost-connection test of a session, without `fromQueue`: opens a session of `connector` on
 * an empty queue, starts a receive, runs `cut` (kill the session's connections on the broker),
 * then asks for one more receive, and closes the session. Runner-neutral: the caller asserts that
 * the loss came once, through `context.lost`, and what the receives did (the receive cut short
 * resolves empty; the one after the loss rejects with it).
 *
 * @example
 * const r = await cutReceive(redis(queue, { blockMs: 2_000 }), () => killConnections(admin, `rxq:${queue}`));
 * expect(r.lost).toHaveLength(1);
 * expect(r.cut).toEqual({ status: 'fulfilled', value: [] });
 */
export async function cutReceive(
  connector: Connector<Delivery, unknown>,
  cut: () => Promise<unknown>,
): Promise<CutReceiveResult> {
  const lost: unknown[] = [];
  const context: OpenContext = {
    maxInFlight: 4,
    lost: (error) => void lost.push(error),
    logger: silentLogger,
    inFlight: 0,
    settled: () => Promise.resolve(),
  };
  const session = await connector.open(context);
  try {
    const receiving = session.receive(4);
    await cut();
    const [cutShort] = await Promise.allSettled([receiving]);
    const [after] = await Promise.allSettled([session.receive(4)]);
    return { lost, cut: cutShort, after };
  } finally {
    await session.close();
  }
}
