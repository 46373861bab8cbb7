import { firstValueFrom, of, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fixed } from '../backoff.js';
import type { Message } from '../message.js';
import type { Batch, Outcome } from '../outcome.js';
import { fakeMessage, type FakeMessage } from '../testing/fakeMessage.js';
import { ack, type AckOptions, type SettlementRecord } from './ack.js';

type Fake = FakeMessage<string>;
const fake = (id: string, attempt = 1): Fake => fakeMessage(id, { attempt });
const nackOptions = (m: Fake): unknown[] => m.calls.filter((c) => c.op === 'nack').map((c) => c.args[0]);
/** The policy that requeues a failure at once, for ever (no longer the default: it spins). */
const requeueAtOnce: AckOptions = { backoff: fixed(), maxAttempts: Infinity };

function records<I extends Message<string> | Batch<string>>(
  outcomes: Outcome<I>[],
  options?: AckOptions,
): Promise<SettlementRecord[]> {
  return firstValueFrom(of(...outcomes).pipe(ack<I, unknown>(options), toArray()));
}

describe('ack', () => {
  it('acks successes and emits a record for each with its attempt and duration', async () => {
    const a = fake('a', 2);
    const out = await records([{ ok: true, item: a, value: 'v', durationMs: 12 }]);
    expect(a.ops).toEqual(['ack']);
    expect(out).toEqual([{ id: 'a', source: 'fake', settlement: 'acked', ok: true, attempt: 2, durationMs: 12 }]);
  });

  it('nacks (requeues) a failure nobody settled, and records the error', async () => {
    const a = fake('a');
    const error = new Error('x');
    const out = await records([{ ok: false, item: a, error, durationMs: 3 }], requeueAtOnce);
    expect(a.ops).toEqual(['nack']);
    expect(nackOptions(a)).toEqual([{ requeue: true }]);
    expect(out).toEqual([
      { id: 'a', source: 'fake', settlement: 'requeued', ok: false, attempt: 1, durationMs: 3, error },
    ]);
  });

  it('with requeue: false nacks failures without requeue (dead-letter), with the error', async () => {
    const a = fake('a');
    const out = await records([{ ok: false, item: a, error: 'e', durationMs: 0 }], { requeue: false });
    expect(nackOptions(a)).toEqual([{ requeue: false, error: 'e' }]);
    expect(out[0]?.settlement).toBe('dead-lettered');
  });

  it('does not settle again what an earlier operator settled, and records how it ended', async () => {
    const resent = fake('a');
    await resent.resend();
    const acked = fake('b');
    await acked.ack();
    const out = await records([
      { ok: false, item: resent, error: 'e', durationMs: 0 },
      { ok: true, item: acked, value: 1, durationMs: 0 },
    ]);
    expect(resent.ops).toEqual(['resend']);
    expect(acked.ops).toEqual(['ack']);
    expect(out.map((r) => r.settlement)).toEqual(['resent', 'acked']);
  });

  it('emits one record per message of a batch', async () => {
    const batch = [fake('a'), fake('b'), fake('c')];
    const out = await records([{ ok: true, item: batch, value: undefined, durationMs: 5 }]);
    expect(out.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(batch.every((m) => m.ops.join() === 'ack')).toBe(true);
  });

  it('passes errors and completion on', async () => {
    const source = new Subject<Outcome<Message<string>>>();
    const events: string[] = [];
    source.pipe(ack()).subscribe({ error: () => events.push('error'), complete: () => events.push('complete') });
    source.error(new Error('upstream'));
    expect(events).toEqual(['error']);
  });
});
