import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import { TestTopic, type TopicPlacement } from '../helpers.js';

/** The three-broker cluster of `scripts/kafka.sh cluster` (node N listens on 9191 + N). */
export const CLUSTER_BROKERS = ['127.0.0.1:9192', '127.0.0.1:9193', '127.0.0.1:9194'];

/** Every partition on all three brokers; a write needs two of them (acks=all). */
export const REPLICATED: TopicPlacement = {
  brokers: CLUSTER_BROKERS,
  replicationFactor: 3,
  config: { 'min.insync.replicas': '2' },
};

export const clusterTopic = (prefix: string, partitions: number): Promise<TestTopic> =>
  TestTopic.create(prefix, partitions, REPLICATED);

const script = fileURLToPath(new URL('../../../../scripts/kafka.sh', import.meta.url));

/** `scripts/kafka.sh cluster ARGS` (kill N, start-node N, stop-node N, status). */
export async function cluster(...args: string[]): Promise<void> {
  await promisify(execFile)('bash', [script, 'cluster', ...args], { timeout: 180_000 });
}

/** The node id (1-3) leading `partition` of `topic`, as the cluster's metadata says now. */
export async function leaderOf(admin: Admin, topic: string, partition = 0): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
  if (leader === undefined || leader < 1) throw new Error(`no leader for ${topic}/${partition}`);
  return leader;
}

/** Resolves once every partition of `topic` has all three replicas in sync again. */
export async function fullyInSync(admin: Admin, topic: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => ({ topics: [] }));
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length > 0 && partitions.every((p) => p.isr.length === 3)) return;
    if (Date.now() > deadline) throw new Error(`${topic}: replicas not back in sync within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Committed offsets of `group` equal the end of every partition (the consumer committed everything). */
export async function committedToEnd(admin: Admin, group: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return ends.every((e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === String(e.high));
}
