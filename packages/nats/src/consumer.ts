import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { NotFoundError } from '@rxq/core';
import type { NatsDeliverFrom, NatsSettings } from './options.js';

/** The consumer a session reads from, and the ack wait it has on the server. */
export interface ConsumerRef {
  readonly name: string;
  readonly ackWaitMs: number;
}

/**
 * Finds the durable consumer (creating it when missing and allowed), or creates this session's
 * ephemeral one. An existing durable consumer keeps its config: its ack wait is read back.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  s: NatsSettings,
  maxInFlight: number,
): Promise<ConsumerRef> {
  const config: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(s.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: Math.max(1_000, maxInFlight),
    ...deliverConfig(s.deliver),
  };
  if (s.filterSubject !== undefined) config.filter_subject = s.filterSubject;
  if (s.ephemeral) {
    config.inactive_threshold = nanos(s.inactiveMs);
    const info = await jsm.consumers.add(s.stream, config);
    return { name: info.name, ackWaitMs: (info.config.ack_wait ?? 30e9) / 1e6 };
  }
  try {
    const info = await jsm.consumers.info(s.stream, s.consumer);
    return { name: info.name, ackWaitMs: (info.config.ack_wait ?? 30e9) / 1e6 };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 10014) throw error;
    if (!s.createConsumer)
      throw new NotFoundError(
        `nats: the consumer "${s.consumer}" of stream "${s.stream}" does not exist; create it or set createConsumer: true`,
        error,
      );
  }
  const info = await jsm.consumers.add(s.stream, { ...config, durable_name: s.consumer });
  return { name: info.name, ackWaitMs: (info.config.ack_wait ?? 30e9) / 1e6 };
}

function deliverConfig(from: NatsDeliverFrom): Partial<ConsumerConfig> {
  if (from === 'all') return { deliver_policy: DeliverPolicy.All };
  if (from === 'new') return { deliver_policy: DeliverPolicy.New };
  if (from === 'last') return { deliver_policy: DeliverPolicy.Last };
  if (from === 'last-per-subject') return { deliver_policy: DeliverPolicy.LastPerSubject };
  if ('sequence' in from) return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.sequence };
  return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.time).toISOString() };
}
