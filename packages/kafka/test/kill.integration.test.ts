import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const fixture = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const MAX_IN_FLIGHT = 32;

let topic: TestTopic;
const children = new Set<ChildProcess>();
beforeEach(async () => {
  topic = await TestTopic.create('kill', 2);
});
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  await topic.admin.deleteGroups([topic.group]).catch(() => undefined);
  await topic.close();
});

/** Starts a consumer child; `onAck` sees each acked id; resolves `exited` when it ends. */
function consumer(onAck: (id: string) => void): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [fixture, topic.name, topic.group, String(MAX_IN_FLIGHT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  children.add(child);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('ack ')) onAck(line.slice(4));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));
  return { child, exited };
}

it('SIGKILL mid-stream, three times: a new consumer in the group finishes, none lost', async () => {
  const total = 3000;
  await topic.publish(
    Array.from({ length: total }, (_, n) => ({ n })),
    true,
  );
  const seen = new Map<string, number>();
  let acks = 0;
  const count = (id: string): void => {
    acks++;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  };
  const kills = 3;
  for (let k = 0; k < kills; k++) {
    const before = acks;
    const target = before + 300;
    const { child, exited } = consumer(count);
    // Wait (an event, not a sleep) until this one has acked 300 more, then kill it mid-stream.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumer ${k} acked ${acks - before}`)), 45_000);
      const check = setInterval(() => {
        if (acks >= target) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 5);
    });
    child.kill('SIGKILL');
    await exited;
  }
  expect(seen.size).toBeLessThan(total); // the kills really interrupted the stream
  const last = consumer(count);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`final consumer: ${seen.size}/${total} distinct`)), 60_000);
    const check = setInterval(() => {
      if (seen.size === total) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 20);
  });
  last.child.kill('SIGTERM');
  await last.exited;
  const duplicates = acks - seen.size;
  // In flight at a kill: up to maxInFlight emitted, plus acks not yet committed (commit every 50 ms).
  expect(duplicates).toBeLessThanOrEqual(kills * (MAX_IN_FLIGHT + 200));
  expect([...seen.keys()].length).toBe(total);
});
