import { describe, expect, it } from 'vitest';
import { Assignments } from './assignments.js';
import type { KafkaDriver, PartitionOffset } from './driver.js';

/** The two driver calls a seek uses; `offsetsAt` answers when the test says so. */
function seekingDriver() {
  const seeks: PartitionOffset[] = [];
  const lookups: { answer: (found: readonly PartitionOffset[]) => void; fail: (e: Error) => void }[] = [];
  const driver = {
    seek: (target: PartitionOffset) => void seeks.push(target),
    offsetsAt: () =>
      new Promise<readonly PartitionOffset[]>((answer, fail) => {
        lookups.push({ answer, fail });
      }),
  } as unknown as KafkaDriver;
  return { driver, seeks, lookups };
}

const tp = { topic: 't', partition: 0 };
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Assignments: a seek by timestamp', () => {
  it('moves the partition when its lookup ends, and holds records back until then', async () => {
    const d = seekingDriver();
    const a = new Assignments(
      d.driver,
      () => [{ topic: 't', timestamp: 1_000 }],
      () => undefined,
    );
    a.assign([tp]);
    expect(a.stateOf(tp).seeking).toBe(true);
    d.lookups[0]!.answer([{ topic: 't', partition: 0, offset: '7' }]);
    await flush();
    expect(d.seeks).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
    expect(a.stateOf(tp).seeking).toBe(false);
  });

  it('still applies when the group rebalanced during the lookup and the partition stayed here', async () => {
    const d = seekingDriver();
    let once = true;
    const seekOnce = () => (once ? ((once = false), [{ topic: 't', timestamp: 1_000 }]) : []);
    const a = new Assignments(d.driver, seekOnce, () => undefined);
    a.assign([tp]);
    a.assign([tp]); // a new generation before the lookup answered
    expect(a.stateOf(tp).seeking).toBe(true); // records of the new generation wait for the seek too
    d.lookups[0]!.answer([{ topic: 't', partition: 0, offset: '7' }]);
    await flush();
    expect(d.seeks).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
    expect(a.stateOf(tp).seeking).toBe(false);
  });

  it('goes back to the first dropped record when the lookup fails, whichever generation dropped it', async () => {
    const d = seekingDriver();
    let once = true;
    const seekOnce = () => (once ? ((once = false), [{ topic: 't', timestamp: 1_000 }]) : []);
    const a = new Assignments(d.driver, seekOnce, () => undefined);
    a.assign([tp]);
    a.stateOf(tp).droppedFrom = '3';
    a.assign([tp]);
    d.lookups[0]!.fail(new Error('lookup failed'));
    await flush();
    expect(d.seeks).toEqual([{ topic: 't', partition: 0, offset: '3' }]);
  });

  it('does nothing when the partition went to another consumer during the lookup', async () => {
    const d = seekingDriver();
    let once = true;
    const seekOnce = () => (once ? ((once = false), [{ topic: 't', timestamp: 1_000 }]) : []);
    const a = new Assignments(d.driver, seekOnce, () => undefined);
    a.assign([tp]);
    a.assign([{ topic: 't', partition: 1 }]);
    d.lookups[0]!.answer([{ topic: 't', partition: 0, offset: '7' }]);
    await flush();
    expect(d.seeks).toEqual([]);
  });
});
