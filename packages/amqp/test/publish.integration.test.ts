import { InvalidOptionError, NotFoundError, text } from '@rxq/core';
import { afterEach, expect, it } from 'vitest';
import { publish, publishAll, publishMany } from '../src/index.js';
import { BROKER_URL, testQueue, type TestQueue } from './helpers.js';

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const bodies = (count: number) => Array.from({ length: count }, (_, n) => ({ n }));

it('publishMany of 1,000 messages to a queue that does not exist rejects with NotFoundError, counting them', async () => {
  t = await testQueue('publish.missing');
  const missing = `${t.queue}.missing`;
  const error = await publishMany(BROKER_URL, missing, bodies(1_000)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotFoundError);
  expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  expect((error as Error).message).toContain(`1000 of 1000 messages published to queue "${missing}"`);
  // Nothing was declared on the way: the name stays free.
  const ch = await t.admin.createChannel();
  ch.on('error', () => undefined);
  await expect(ch.checkQueue(missing)).rejects.toMatchObject({ code: 404 });
});

it('1,000 publish calls to a queue that does not exist all reject; none resolves for a dropped message', async () => {
  t = await testQueue('publish.each');
  const missing = `${t.queue}.missing`;
  const outcomes: PromiseSettledResult<void>[] = [];
  for (let i = 0; i < 1_000; i += 50) {
    const batch = bodies(50).map((b) => publish(t!.admin, missing, { ...b, i }));
    outcomes.push(...(await Promise.allSettled(batch)));
  }
  const rejected = outcomes.filter((o) => o.status === 'rejected');
  expect(outcomes).toHaveLength(1_000);
  expect(rejected).toHaveLength(1_000);
  for (const o of rejected) expect(o.reason).toBeInstanceOf(NotFoundError);
  // The connection passed in is still open and usable.
  await publish(t.admin, t.queue, { ok: true });
  expect(await t.ready()).toBe(1);
});

it('publishes to an existing queue, resolves once confirmed, and keeps publishAll as an alias', async () => {
  t = await testQueue('publish.ok');
  await publishMany(BROKER_URL, t.queue, bodies(300), { maxUnconfirmed: 64 });
  await publishAll(t.admin, t.queue, ['a', 'b'], { codec: text });
  expect(publishAll).toBe(publishMany);
  expect(await t.ready()).toBe(302);
});

it('publishing to an exchange that does not exist rejects with NotFoundError', async () => {
  t = await testQueue('publish.noexchange');
  const error = await publish(BROKER_URL, t.queue, { n: 1 }, { exchange: `${t.queue}.nope` }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotFoundError);
  expect((error as Error).message).toContain('NOT_FOUND');
});

it('rejects unknown options by name before connecting', async () => {
  await expect(publish(BROKER_URL, 'q', {}, { persistant: false } as never)).rejects.toThrow(
    /Unknown option `persistant`; did you mean `persistent`\?/,
  );
  await expect(publish(BROKER_URL, 'q', {}, { properties: { contentTyp: 'x' } as never })).rejects.toThrow(
    /`properties.contentTyp`; did you mean `properties.contentType`/,
  );
  await expect(publish({ hostnme: 'localhost' } as never, 'q', {})).rejects.toThrow(
    /`connection.hostnme`; did you mean `connection.hostname`/,
  );
  await expect(publish(BROKER_URL, 'q', {}, { properties: { mandatory: false } as never })).rejects.toThrow(
    InvalidOptionError,
  );
});
