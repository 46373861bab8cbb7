// pnpm demo: an order queue in memory, consumed by an rxq pipeline with concurrency, resends with
// backoff and dead letters. No broker needed.
import { ack, exponential, fromQueue, handle, retryWithResend } from '@rxq/core';
import { MemoryQueue, memory } from '@rxq/memory';
import { Subject } from 'rxjs';

const TOTAL = Number(process.env.DEMO_MESSAGES ?? 20_000);
const orders = new MemoryQueue();
orders.pushMany(Array.from({ length: TOTAL }, (_, i) => ({ id: i + 1, amount: 10 + (i % 90) })));

const connector = memory(orders, { name: 'orders' });
const stop = new Subject();
const source = fromQueue(connector, { maxInFlight: 256, stop });

// A handler that takes 1-4 ms, fails now and then (a flaky payment API), and always fails for
// every 500th order (a card that will never work): those end in the dead-letter queue.
async function charge(message) {
  await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 3));
  if (message.body.id % 500 === 0) throw new Error('card declined');
  if (Math.random() < 0.1) throw new Error('payment API timed out');
  return message.body.amount;
}

const started = performance.now();
let acked = 0;
let dead = 0;
const tty = process.stdout.isTTY;
const line = () => {
  const m = source.metrics.snapshot();
  const seconds = (performance.now() - started) / 1000;
  return `processed ${acked}/${TOTAL}  ${Math.round(acked / seconds)}/s  in flight ${m.inFlight}  resent ${m.resent}  dead-lettered ${dead}`;
};
const progress = setInterval(() => process.stdout.write(tty ? `\r${line()}   ` : `${line()}\n`), tty ? 100 : 1_000);

source
  .pipe(
    handle(charge, { concurrency: 32 }),
    retryWithResend({ maxAttempts: 4, backoff: exponential({ initialMs: 20, maxMs: 200 }) }),
    ack(),
  )
  .subscribe({
    next(record) {
      if (record.settlement === 'acked') acked++;
      if (record.settlement === 'dead-lettered') dead++;
      if (acked + dead === TOTAL) stop.next();
    },
    complete() {
      clearInterval(progress);
      const m = source.metrics.snapshot();
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(`${tty ? '\r' : ''}${line()}   \n\n`);
      console.log(
        `done in ${seconds.toFixed(2)} s: ${m.acked} acked, ${m.resent} resends, ${m.deadLettered} dead-lettered`,
      );
      console.log(
        `handler: ${m.handler.count} runs, mean ${(m.handler.totalMs / m.handler.count).toFixed(2)} ms; peak in flight ${m.peakInFlight} (bound 256)`,
      );
      const letters = connector.deadLetters.size > 0 ? connector.deadLetters.take(3).values : [];
      for (const l of letters)
        console.log(
          `dead letter: order ${l.value.id}, reason ${l.reason}, after attempt ${l.attempt}: ${l.error?.message}`,
        );
    },
    error(error) {
      clearInterval(progress);
      console.error(error);
      process.exitCode = 1;
    },
  });
