import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { silentLogger } from '@rxq/core';
import { connect, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
import { queueFromSpec } from '../src/queueSpec.js';
import { RawClient } from './helpers.js';
import { until } from '@rxq/core/testing';

const run = promisify(execFile);
const AMQP = 'amqp://guest:guest@127.0.0.1:5672';
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const oldClient = fileURLToPath(new URL('./fixtures/old_client.py', import.meta.url));
const stem = `rxq-gw-test-${randomBytes(4).toString('hex')}`;
const made: string[] = [];
let admin: ChannelModel;

beforeAll(async () => {
  admin = await connect(AMQP, { clientProperties: { connection_name: 'rxq-gateway-test' } });
});
afterAll(async () => {
  // Only the queues this file made.
  const ch = await admin.createChannel();
  for (const q of made) {
    await ch.deleteQueue(q);
    await ch.deleteQueue(`${q}.dead`);
  }
  await admin.close();
});

describe('an AMQP queue served by the gateway', () => {
  it('a message published by a plain basic.publish is pulled; a dropped client gives it back with attempt + 1', async () => {
    const name = `${stem}-a`;
    made.push(name);
    const [, backend] = await queueFromSpec(`${name}=${AMQP}`, silentLogger);
    const gw = await serve({ port: 0, queues: { [name]: backend } });
    try {
      const c = await RawClient.open(gw.port);
      expect(await c.call(['push', ['via gateway']])).toEqual(['success', null]);
      const ch = await admin.createChannel();
      ch.sendToQueue(name, Buffer.from('{"via":"basic.publish"}'));
      expect(await c.call(['pull_many', [2]])).toEqual(['success', ['via gateway', { via: 'basic.publish' }]]);
      expect(await c.call(['push', ['fragile']])).toEqual(['success', null]);
      expect(await c.call(['pull'])).toEqual(['success', 'fragile']);
      c.kill();
      await until(() => gw.stats().leases === 0);
      const d = await RawClient.open(gw.port);
      expect(await d.call(['lease', [5]])).toMatchObject(['success', { value: 'fragile', attempt: 2 }]);
      d.kill();
      await ch.close();
    } finally {
      await gw.close();
    }
    // Closing returned the last lease to the broker.
    const ch = await admin.createChannel();
    await until(async () => (await ch.checkQueue(name)).messageCount === 1, {
      what: 'message back in the queue',
      timeoutMs: 5_000,
    });
    await ch.close();
  });

  it('rxq-gateway --queue NAME=amqp://… serves the Python client of the old protocol', async () => {
    const name = `${stem}-b`;
    made.push(name);
    const child = spawn(process.execPath, [cli, '--port', '0', '--queue', `${name}=${AMQP}`, '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
      const { port } = JSON.parse(first.value as string) as { port: number };
      const { stdout } = await run('python3', [oldClient, String(port)]);
      expect(JSON.parse(stdout)).toMatchObject({
        pull: ['success', { id: 1, text: 'naïve ☃' }],
        pull_many: ['success', [2, 'three', [4]]],
        pull_empty: ['error:timeout', null],
        malformed: ['error:request', 'malformed request'],
        drain: ['success', Array.from({ length: 100 }, (_, i) => i)],
      });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const ch = await admin.createChannel();
    expect((await ch.checkQueue(name)).messageCount).toBe(0);
    await ch.close();
  });
});
