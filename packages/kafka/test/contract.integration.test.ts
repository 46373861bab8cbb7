import { contractSuite, type DeadLetterView } from '@rxq/core/testing/contract';
import { HEADERS } from '@rxq/core';
import { TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

// One-partition topics: the suite checks FIFO-ish behaviour with a sentinel. `requeue` = resend.
contractSuite({
  name: 'kafka',
  timeoutMs: 60_000,
  create: async () => {
    const topic = await TestTopic.create('contract');
    return {
      connector: () => topic.connector(),
      publish: (bodies) => topic.publish(bodies),
      publishRaw: (payloads) => topic.publishRaw(payloads),
      deadLetters: async (): Promise<DeadLetterView[]> => {
        // A source's stop() can resolve before its last dead letter is produced (after an
        // unsubscribe the run finishes on its own): wait until its sessions have closed.
        await topic.sessionsClosed();
        return (await topic.readAll(topic.dead)).map((r) => ({
          raw: r.value,
          reason: r.headers[HEADERS.deadReason] ?? '',
          errorMessage: r.headers[HEADERS.errorMessage],
        }));
      },
      close: () => topic.close(),
    };
  },
});
