import { join } from 'node:path';
import { publishMany } from '@rxq/redis';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../src/index.js';
import {
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

const stem = uniqueName('consumers');
const queue = `${stem}:orders`;
const broken = `${stem}:broken`;
let redis: Redis;
let browser: Browser;
let consumer: ConsumerProcess;
let dashboard: Dashboard;
const shots = screenshotDir();

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await redis.set(broken, '1');
  [browser, consumer] = await Promise.all([launchBrowser(), startConsumer(queue, broken, 'billing')]);
  dashboard = await startDashboard({ port: 0, pollMs: 300, consumers: [consumer.address] });
});

afterAll(async () => {
  await consumer?.stop();
  await dashboard?.close();
  await browser?.close();
  await cleanup(redis, stem);
  redis.disconnect();
});

describe('live consumers on the page', () => {
  it('shows a consumer process figures as its broker counts them: received, acked, dead-lettered, errors, latency', async ({
    annotate,
  }) => {
    // 60 orders, every fifth marked to fail while `broken` exists: dead-lettered at once.
    await publishMany(
      redis,
      queue,
      Array.from({ length: 60 }, (_, n) => ({ n, fail: n % 5 === 0, card: 'secret-card-4242' })),
    );
    await until(async () => (await redis.llen(`${queue}:dead`)) === 12, { what: '12 dead letters', timeoutMs: 30_000 });
    await until(async () => (await redis.llen(queue)) === 0, { what: 'the queue drained', timeoutMs: 30_000 });
    const dead = await redis.llen(`${queue}:dead`);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(dashboard.url);
    const source = `[data-consumer="billing"] [data-source="${queue}"]`;
    await waitForText(page, `${source} [data-figure="received"]`, '60');
    await waitForText(page, `${source} [data-figure="acked"]`, String(60 - dead));
    await waitForText(page, `${source} [data-figure="deadLettered"]`, String(dead));
    await waitForText(page, `${source} [data-figure="status"]`, 'connected');
    await waitForText(page, `${source} [data-figure="errors"]`, 'errors: CardDeclined × 12');
    // Latency percentiles of the last minute: the handler waits 2–11 ms.
    await waitForText(page, `${source} [data-figure="p50"]`, /^\d+(\.\d+)? ms$/);
    await waitForText(page, `${source} [data-figure="p99"]`, /^\d+(\.\d+)? ms$/);
    const p99 = Number((await page.locator(`${source} [data-figure="p99"]`).textContent())!.split(' ')[0]);
    expect(p99).toBeGreaterThanOrEqual(2);
    // The rates plot has a line drawn.
    await page.waitForFunction(
      (sel) => [...document.querySelectorAll(`${sel} svg path`)].some((p) => (p.getAttribute('d') ?? '').length > 10),
      source,
    );
    // Each update appends to the plots: the rates line gains points as the page stays open.
    const segments = () =>
      page.evaluate(
        (sel) => (document.querySelector(`${sel} svg path`)?.getAttribute('d') ?? '').split(/[ML]/).length,
        source,
      );
    const before = await segments();
    await page.waitForFunction(
      ([sel, n]) => (document.querySelector(`${sel} svg path`)?.getAttribute('d') ?? '').split(/[ML]/).length >= n + 3,
      [source, before] as const,
      { timeout: 30_000 },
    );
    expect(await page.content()).not.toContain('secret-card-4242');

    const laptop = join(shots, 'consumers-laptop.png');
    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header at the top of the shot
    await page.screenshot({ path: laptop, fullPage: true });
    console.log(`screenshot: ${laptop}`);
    await annotate('laptop screenshot', { path: laptop });

    // A phone: one column, nothing wider than the screen.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(dashboard.url);
    await waitForText(phone, `${source} [data-figure="acked"]`, String(60 - dead));
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const phoneShot = join(shots, 'consumers-phone.png');
    await phone.evaluate(() => window.scrollTo(0, 0)); // the sticky header at the top of the shot
    await phone.screenshot({ path: phoneShot, fullPage: true });
    console.log(`screenshot: ${phoneShot}`);
    await annotate('phone screenshot', { path: phoneShot });
    await phone.close();

    // The process goes away: the page says so.
    await consumer.stop();
    await waitForText(page, '[data-consumer="billing"] .pill[data-state]', 'unreachable');
    await page.close();
  });
});
