import { Partitioners, type ICustomPartitioner, type Message, type Producer, type ProducerRecord } from 'kafkajs';

/**
 * kafkajs 2.2.4 can resolve a send while some of its records were never written: a send spanning
 * several partition leaders keeps each broker's answer across its retries, and when a partition's
 * leader stops and the partition moves to a broker that has answered already, that partition's
 * records are not sent again, and its result is left out of what `send` returns. A
 * {@link ConfirmingProducer} finds those records (each record's partition is remembered as the
 * partitioner chose it, and kept on retries) and sends them again.
 */
export interface ConfirmingProducer {
  /** Pass to `client.producer({ createPartitioner })`: kafkajs' default partitioner, remembering each record's choice. */
  readonly createPartitioner: ICustomPartitioner;
  /** `producer.send(record)`, resolved once every record's partition is in the result without error. */
  send(producer: Producer, record: ProducerRecord): Promise<void>;
}

/** How many times the records a send left out are sent again before it fails. */
const MAX_RESENDS = 5;

/** The records a send left out of the topic, sent again {@link MAX_RESENDS} times. */
class UnconfirmedSendError extends Error {
  override readonly name = 'UnconfirmedSendError';
  /** kafkajs' flag: the caller may send the records again. */
  readonly retriable = true;
  constructor(topic: string, count: number) {
    super(`kafkajs reported ${count} records to "${topic}" written without listing their partitions`);
  }
}

export function confirmingProducer(): ConfirmingProducer {
  // Per message object: a send's own messages, dropped with them.
  const partitionOf = new WeakMap<Message, number>();
  return {
    createPartitioner: () => {
      const inner = Partitioners.DefaultPartitioner();
      return (args) => {
        // The first choice holds: a record without key would otherwise move on a retry.
        let p = partitionOf.get(args.message);
        if (p === undefined) {
          p = inner(args);
          partitionOf.set(args.message, p);
        }
        return p;
      };
    },
    async send(producer, record) {
      let messages = record.messages;
      for (let resends = 0; ; resends++) {
        const result = await producer.send({ ...record, messages });
        if (record.acks === 0) return; // nothing to confirm
        const written = new Set<number>();
        for (const r of result) if (r.errorCode === 0 && r.topicName === record.topic) written.add(r.partition);
        const left = messages.filter((m) => !written.has(partitionOf.get(m) ?? -1));
        if (left.length === 0) return;
        if (resends === MAX_RESENDS) throw new UnconfirmedSendError(record.topic, left.length);
        messages = left; // to the same partitions: the partitioner's first choice holds
      }
    },
  };
}
