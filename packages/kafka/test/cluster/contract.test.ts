import { contractSuite, type DeadLetterView } from '@rxq/core/testing/contract';
import { HEADERS } from '@rxq/core';
import { clusterTopic } from './cluster.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

// The contract suite on the three-broker cluster: one-partition topics with replication factor 3
// and min.insync.replicas 2 (so is the dead-letter topic: the brokers' defaults).
contractSuite({
  name: 'kafka on a three-broker cluster',
  timeoutMs: 60_000,
  create: async () => {
    const topic = await clusterTopic('contract', 1);
    return {
      connector: () => topic.connector(),
      publish: (bodies) => topic.publish(bodies),
      publishRaw: (payloads) => topic.publishRaw(payloads),
      deadLetters: async (): Promise<DeadLetterView[]> => {
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
