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
