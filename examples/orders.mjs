// What every example consumer shares: the order schema and the work done per order. Your app has
// its own; the consumer around it (examples/<broker>.mjs) is what you copy.
import { setTimeout as sleep } from 'node:timers/promises';
import { RxqError } from '@rxq/core';
import { z } from 'zod';

/** A body that fails this schema is dead-lettered at once with reason `invalid`. */
export const Order = z.object({ id: z.string(), amount: z.number().positive() });

/** Charges an order; stops early when the signal aborts (timeout or shutdown). */
export async function charge(order, signal) {
  await sleep(2, undefined, { signal }); // a call to a payment API
  // An error retrying cannot mend goes to the dead letters at once (`retryable: false`).
  if (order.amount > 10_000) throw new RxqError('OVER_LIMIT', 'the amount is over the account limit');
  return order.amount;
}

/** One JSON line per settled message: what a log pipeline or a test reads. */
export const report = {
  next: (record) => console.log(JSON.stringify({ settlement: record.settlement, attempt: record.attempt })),
  error: (error) => {
    console.error(`the consumer stopped for good: ${error.message}`); // e.g. bad credentials
    process.exitCode = 1;
  },
  complete: () => console.log(JSON.stringify({ stopped: true })),
};
