import { join } from 'node:path';
import { publishMany } from '@rxq/amqp';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type ConsumerReport, type Dashboard } from '../src/index.js';
import {
  AMQP_URL,
  cleanup,
  launchBrowser,
  REDIS_URL,
  screenshotDir,
  startConsumer,
  uniqueName,
  waitForText,
  type ConsumerProcess,
} from './helpers.js';
import { until } from '@rxq/core/testing';

const TOKEN = 'amqp-test-token';
const stem = uniqueName('amqp');
const queue = stem.replace(/:/g, '.');
const broken = `${stem}:broken`;
let redis: Redis;
let rabbit: amqplib.ChannelModel;
let browser: Browser;
let consumer: ConsumerProcess;
let dashboard: Dashboard;

/** RabbitMQ's own count of a queue's ready messages and consumers, read with amqplib (null: no such queue). */
async function counts(name: string): Promise<{ messageCount: number; consumerCount: number } | null> {
  const channel = await rabbit.createChannel();
  channel.on('error', () => {}); // a missing queue closes the channel with 404: answered below
  try {
    return await channel.checkQueue(name);
  } catch {
    return null;
  } finally {
    await channel.close().catch(() => {});
  }
}

async function confirm(page: Page): Promise<string> {
  await page.locator('#confirm').waitFor({ state: 'visible' });
  const text = (await page.locator('#confirm-text').textContent()) ?? '';
  await page.locator('#confirm-ok').click();
  return text;
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  rabbit = await amqplib.connect(AMQP_URL);
  await redis.set(broken, '1');
  [browser, consumer] = await Promise.all([launchBrowser(), startConsumer(queue, broken, 'shipping', 'amqp')]);
  await until(
    async () => {
      const report = (await (await fetch(`${consumer.address}/rxq/consumer`)).json()) as ConsumerReport;
      return report.sources[0]?.status === 'connected';
    },
    { timeoutMs: 30_000 },
  ); // the consumer has declared its queue
  await publishMany(
    AMQP_URL,
    queue,
    Array.from({ length: 20 }, (_, n) => ({ n, fail: n % 5 === 0 })),
  );
  await until(async () => (await counts(`${queue}.dead`))?.messageCount === 4, {
    what: '4 dead letters',
    timeoutMs: 30_000,
  });
  dashboard = await startDashboard({
    port: 0,
    pollMs: 300,
    queues: [{ url: AMQP_URL, queue }],
    consumers: [consumer.address],
    token: TOKEN,
  });
});

afterAll(async () => {
  await consumer?.stop();
  await dashboard?.close();
  await browser?.close();
  const channel = await rabbit.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${queue}.dead`);
  await rabbit.close();
  await cleanup(redis, stem);
  redis.disconnect();
});

describe('a RabbitMQ queue on the page', () => {
  it("shows RabbitMQ's own counts and redrives its dead letters back to the consumer", async ({ annotate }) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(dashboard.url);
    const q = `[data-queue="${queue}"]`;
    const own = (await counts(queue))!;
    await waitForText(page, `${q} [data-figure="depth"]`, String(own.messageCount));
    await waitForText(page, `${q} [data-figure="consumers"]`, String(own.consumerCount));
    expect(own.consumerCount).toBe(1);
    await waitForText(page, `${q} [data-figure="deadLetters"]`, String((await counts(`${queue}.dead`))!.messageCount));
    await waitForText(page, `[data-consumer="shipping"] [data-source="${queue}"] [data-figure="acked"]`, '16');

    await page.locator(`${q} [data-action="dead-letters"]`).click();
    await page.waitForFunction(() => document.querySelectorAll('#dead-table tbody tr').length === 4, undefined, {
      timeout: 30_000,
    });
    const reasons = await page.locator('#dead-table [data-field="reason"]').allTextContents();
    expect(reasons).toEqual(['non-retryable', 'non-retryable', 'non-retryable', 'non-retryable']);
    // Listing gets and requeues: the dead letters are all still there.
    expect((await counts(`${queue}.dead`))?.messageCount).toBe(4);

    await page.locator('#token').fill(TOKEN);
    await page.locator('#token-form button').click();
    await redis.del(broken);
    // RabbitMQ counts no message a listing holds (gets, then requeues): a poll taken meanwhile
    // showed fewer; the confirmation names the figure on the page, so wait until it is whole again.
    await waitForText(page, `${q} [data-figure="deadLetters"]`, '4');
    await page.locator('#redrive').click();
    expect(await confirm(page)).toBe(`Move all dead letters (4) of ${queue} back to ${queue}?`);
    await waitForText(page, '#dead-message', 'moved 4 of 4');
    expect((await counts(`${queue}.dead`))?.messageCount).toBe(0);
    await waitForText(page, `${q} [data-figure="deadLetters"]`, '0');
    await waitForText(page, `[data-consumer="shipping"] [data-source="${queue}"] [data-figure="acked"]`, '20');

    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header at the top of the shot
    const shot = join(screenshotDir(), 'amqp-after-redrive.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    await annotate('RabbitMQ after redrive', { path: shot });
    await page.close();
  });
});
