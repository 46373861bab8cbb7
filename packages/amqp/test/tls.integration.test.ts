import { ack, AuthenticationError, fromQueue, handle, type Logger, type Message } from '@rxq/core';
import { collectAll, collectUntil } from '@rxq/core/testing';
import { afterAll, beforeAll, afterEach, expect, it } from 'vitest';
import { amqp, publish } from '../src/index.js';
import { testQueue, type TestQueue } from './helpers.js';
import { makeCerts, startTlsProxy, type TestCerts, type TlsProxy } from './tls.js';

let certs: TestCerts;
let proxy: TlsProxy;
let t: TestQueue | undefined;
const PASSWORD = 'guest';

beforeAll(async () => {
  certs = await makeCerts();
  proxy = await startTlsProxy(certs);
});
afterAll(() => proxy.close());
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A logger that keeps every record, to check that no secret reaches a log. */
function recordingLogger(records: unknown[]): Logger {
  const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
    void records.push({ level, fields, message });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const url = () => `amqps://guest:${PASSWORD}@localhost:${proxy.port}`;

it('consumes and publishes over amqps:// with a client certificate and an encrypted key', async () => {
  t = await testQueue('tls');
  const tls = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, passphrase: certs.passphrase };
  await publish(url(), t.queue, { n: 1 }, { tls });
  const records: unknown[] = [];
  const source = fromQueue<{ n: number }>(amqp(t.queue, { connection: url(), tls }), {
    logger: recordingLogger(records),
  });
  const handled = await collectUntil(
    source.pipe(
      handle((m: Message<{ n: number }>) => m.body.n),
      ack(),
    ),
    (rs) => rs.length === 1,
  );
  await source.stop();
  expect(handled[0]).toMatchObject({ settlement: 'acked' });
  expect(proxy.clients).toContain('rxq test client');
  expect(await t.ready()).toBe(0);
  const logged = JSON.stringify(records);
  expect(logged).toContain('amqp: connected');
  expect(logged).not.toContain(certs.passphrase);
  expect(logged).not.toContain(`:${PASSWORD}@`);
});

it('errors the stream at once, without the passphrase, when the key does not decrypt', async () => {
  const tls = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, passphrase: 'wrong-passphrase-value' };
  const source = fromQueue(amqp('rxq.tls.badkey', { connection: url(), tls }));
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect(error).toMatchObject({ retryable: false });
  expect(statuses).not.toContain('reconnecting');
  const text = JSON.stringify([(error as Error).message, statuses]);
  expect(text).not.toContain('wrong-passphrase-value');
  expect(text).not.toContain(certs.passphrase);
});

it('errors the stream at once when the broker certificate is not trusted', async () => {
  const tls = { cert: certs.clientCert, key: certs.clientKey, passphrase: certs.passphrase };
  const error = await collectAll(fromQueue(amqp('rxq.tls.untrusted', { connection: url(), tls }))).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as Error).message).toMatch(/certificate/);
});

it('errors the stream at once when the server requires a client certificate and none is given', async () => {
  const source = fromQueue(amqp('rxq.tls.nocert', { connection: url(), tls: { ca: certs.ca } }));
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as Error).message).toContain('certificate required');
  expect(statuses).not.toContain('reconnecting');
});
