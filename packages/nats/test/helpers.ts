import { randomUUID } from 'node:crypto';
import { text } from '@rxq/core';
import type { ContractHarness, DeadLetterView } from '@rxq/core/testing';
import { jetstream, jetstreamManager, StorageType, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { nats, publishMany, type NatsConnector, type NatsOptions } from '../src/index.js';

export const SERVER = process.env.RXQ_NATS_URL ?? '127.0.0.1:4222';

/** A stream name no other test uses (the server is shared). */
export const uniqueStream = (label: string): string => `RXQ_T_${label}_${randomUUID().slice(0, 8)}`;

/** A stream of this test's own, with ways to inspect it and a cleanup of everything it made. */
export interface TestStream {
  readonly stream: string;
  /** The subject tests publish to (the stream captures `<stream>.>`). */
  readonly subject: string;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  connector(options?: NatsOptions): NatsConnector;
  publish(bodies: readonly unknown[]): Promise<void>;
  /** Every message stored in `stream`. */
  stored(stream: string): Promise<StoredMsg[]>;
  /** Messages of the consumer not yet delivered, and delivered but not acked. */
  consumerState(consumer?: string): Promise<{ pending: number; ackPending: number }>;
  close(): Promise<void>;
}

export async function testStream(label: string, server = SERVER): Promise<TestStream> {
  const stream = uniqueStream(label);
  const subject = `${stream}.in`;
  const nc = await connect({ servers: server, name: `rxq-test:${stream}` });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: StorageType.File });
  const connectors: NatsConnector[] = [];
  return {
    stream,
    subject,
    nc,
    jsm,
    connector(options = {}) {
      const c = nats(stream, { connection: server, ackWaitMs: 5_000, ...options });
      connectors.push(c);
      return c;
    },
    publish: (bodies) => publishMany(nc, subject, bodies),
    async stored(name) {
      const info = await jsm.streams.info(name).catch(() => undefined);
      if (!info) return [];
      const out: StoredMsg[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(name, { seq }).catch(() => null);
        if (m) out.push(m);
      }
      return out;
    },
    async consumerState(consumer = `rxq-${stream}`) {
      const info = await jsm.consumers.info(stream, consumer);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    },
    async close() {
      const names = new Set([stream, `${stream}_dead`]);
      for (const c of connectors) if (c.deadLetterStream) names.add(c.deadLetterStream);
      for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
      await nc.close();
    },
  };
}

/** The contract suite's harness over a {@link TestStream}. */
export async function contractHarness(options: NatsOptions = {}): Promise<ContractHarness> {
  const t = await testStream('contract');
  const js = jetstream(t.nc);
  return {
    connector: () => t.connector(options),
    publish: (bodies) => t.publish(bodies),
    publishRaw: (payloads) =>
      publishMany(js, t.subject, payloads as (string | Uint8Array)[], { codec: rawCodec }).then(() => undefined),
    deadLetters: async (): Promise<DeadLetterView[]> =>
      (await t.stored(`${t.stream}_dead`)).map((m) => ({
        raw: m.data,
        reason: m.header?.get('x-rxq-dead-reason') ?? '',
        errorMessage: m.header?.get('x-rxq-error-message') || undefined,
      })),
    close: () => t.close(),
  };
}

const rawCodec = { ...text, name: 'raw', encode: (body: unknown) => body as string | Uint8Array };
