import { join } from 'node:path';
import { publishMany, readListEntry } from '@rxq/redis';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
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

const TOKEN = 'test-token-5f2c9a';
const SECRET = 'secret-card-4242';
const stem = uniqueName('queues');
const orders = `${stem}:orders`;
const backlog = `${stem}:backlog`;
const broken = `${stem}:broken`;
let redis: Redis;
let browser: Browser;
let consumer: ConsumerProcess;
let dashboard: Dashboard;
let readOnly: Dashboard;
const shots = screenshotDir();

const card = (queue: string) => `[data-queue="${queue}"]`;
const deadInRedis = () => redis.llen(`${orders}:dead`);

async function publishOrders(from: number, count: number, fail: (n: number) => boolean): Promise<void> {
  await publishMany(
    redis,
    orders,
    Array.from({ length: count }, (_, i) => ({ n: from + i, fail: fail(from + i), card: SECRET })),
  );
}

async function openDeadLetters(page: Page, queue: string, rows: number): Promise<void> {
  await page.locator(`${card(queue)} [data-action="dead-letters"]`).click();
  await page.locator('#dead').waitFor({ state: 'visible' });
  await page.waitForFunction((n) => document.querySelectorAll('#dead-table tbody tr').length === n, rows, {
    timeout: 30_000,
  });
}

async function confirm(page: Page, answer: 'ok' | 'cancel'): Promise<string> {
  await page.locator('#confirm').waitFor({ state: 'visible' });
  const text = (await page.locator('#confirm-text').textContent()) ?? '';
  await page.locator(answer === 'ok' ? '#confirm-ok' : '#confirm-cancel').click();
  await page.locator('#confirm').waitFor({ state: 'hidden' });
  return text;
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await redis.set(broken, '1');
  [browser, consumer] = await Promise.all([launchBrowser(), startConsumer(orders, broken, 'billing')]);
  await publishMany(
    redis,
    backlog,
    Array.from({ length: 7 }, (_, n) => ({ n })),
  );
  await publishOrders(0, 40, (n) => n % 5 === 0); // 8 fail while `broken` exists: dead-lettered
  await until(async () => (await deadInRedis()) === 8, { what: '8 dead letters', timeoutMs: 30_000 });
  await until(async () => (await redis.llen(orders)) === 0, { what: 'orders drained', timeoutMs: 30_000 });
  const queues = [
    { url: REDIS_URL, queue: orders },
    { url: REDIS_URL, queue: backlog },
  ];
  [dashboard, readOnly] = await Promise.all([
    startDashboard({ port: 0, pollMs: 300, queues, consumers: [consumer.address], token: TOKEN }),
    startDashboard({ port: 0, pollMs: 300, queues }),
  ]);
});

afterAll(async () => {
  await consumer?.stop();
  await dashboard?.close();
  await readOnly?.close();
  await browser?.close();
  await cleanup(redis, stem);
  redis.disconnect();
});

describe('queues and dead letters on the page (Redis)', () => {
  it("shows each queue's depth, dead letters and consumers as Redis counts them", async () => {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await waitForText(page, `${card(backlog)} [data-figure="depth"]`, String(await redis.llen(backlog)));
    await waitForText(page, `${card(orders)} [data-figure="depth"]`, String(await redis.llen(orders)));
    await waitForText(page, `${card(orders)} [data-figure="deadLetters"]`, String(await deadInRedis()));
    await waitForText(page, `${card(backlog)} [data-figure="deadLetters"]`, '0');
    await waitForText(page, `${card(orders)} [data-figure="consumers"]`, '1'); // the one live consumer process
    await waitForText(page, `${card(backlog)} [data-figure="consumers"]`, '0');
    await page.close();
  });

  it('lists dead letters with reason, error and headers, and shows bodies only with the token', async () => {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await openDeadLetters(page, orders, 8);
    // What Redis holds, read with the connector's own envelope reader.
    const held = (await redis.lrangeBuffer(`${orders}:dead`, 0, -1)).map((e) => readListEntry(e).headers ?? {});
    const reasons = await page.locator('#dead-table [data-field="reason"]').allTextContents();
    expect(reasons.sort()).toEqual(held.map((h) => h['x-rxq-dead-reason']).sort());
    expect(new Set(reasons)).toEqual(new Set(['non-retryable']));
    const errors = await page.locator('#dead-table [data-field="error"]').allTextContents();
    expect(errors.sort()).toEqual(held.map((h) => `${h['x-rxq-error-name']}: ${h['x-rxq-error-message']}`).sort());
    expect(errors[0]).toMatch(/^CardDeclined: order \d+$/);
    await page.locator('#dead-table tbody tr').first().locator('details summary').click();
    expect(await page.locator('#dead-table tbody tr').first().locator('td.headers pre').textContent()).toContain(
      'x-rxq-dead-reason: non-retryable',
    );
    expect(await page.content()).not.toContain(SECRET);

    // Locked (no token entered): the server refuses the bodies.
    await page.locator('#show-bodies').click();
    await waitForText(page, '#dead-message', /a valid token is needed/);
    expect(await page.content()).not.toContain(SECRET);

    // With the token: the bodies show.
    await page.locator('#token').fill(TOKEN);
    await page.locator('#token-form button').click();
    await waitForText(page, '#mode', 'actions unlocked');
    await page.locator('#show-bodies').click(); // off
    await page.locator('#show-bodies').click(); // on again, now with the token
    await page.waitForFunction(() => document.querySelectorAll('#dead-table [data-field="body"]').length === 8);
    expect(await page.locator('#dead-table [data-field="body"]').first().textContent()).toContain(SECRET);
    await page.close();
  });

  it('refuses actions without the token: read-only dashboard, and a locked page', async ({ annotate }) => {
    const page = await browser.newPage();
    await page.goto(readOnly.url);
    await waitForText(page, '#mode', 'read-only');
    await waitForText(page, `${card(orders)} [data-figure="deadLetters"]`, '8');
    await openDeadLetters(page, orders, 8);
    for (const button of ['#redrive', '#purge', '#show-bodies'])
      expect(await page.locator(button).isDisabled()).toBe(true);
    const status = await page.evaluate(async () => {
      const r = await fetch('/api/queues/0/purge', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer test-token-5f2c9a' },
        body: '{}',
      });
      return r.status;
    });
    expect(status).toBe(403);
    const shot = join(shots, 'read-only.png');
    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header at the top of the shot
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    await annotate('read-only page', { path: shot });
    await page.close();

    // The token dashboard, from a page that did not enter it: purge through the confirmation is refused.
    const locked = await browser.newPage();
    await locked.goto(dashboard.url);
    await waitForText(locked, '#mode', 'locked');
    await openDeadLetters(locked, orders, 8);
    await locked.locator('#purge').click();
    expect(await confirm(locked, 'ok')).toContain('Delete all dead letters (8)');
    await waitForText(locked, '#dead-message', /purge refused: a valid token is needed/);
    expect(await deadInRedis()).toBe(8);
    await locked.close();
  });

  it('redrives the dead letters through the confirmation, and the consumer handles them', async ({ annotate }) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(dashboard.url);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#token-form button').click();
    await waitForText(page, `[data-consumer="billing"] [data-source="${orders}"] [data-figure="acked"]`, '32');
    await openDeadLetters(page, orders, 8);

    // Cancel first: nothing moves.
    await page.locator('#redrive').click();
    expect(await confirm(page, 'cancel')).toBe(`Move all dead letters (8) of ${orders} back to ${orders}?`);
    expect(await deadInRedis()).toBe(8);

    await redis.del(broken); // the cause is fixed: the redriven orders will succeed
    await page.locator('#redrive').click();
    await confirm(page, 'ok');
    await waitForText(page, '#dead-message', 'moved 8 of 8');
    expect(await deadInRedis()).toBe(0);
    await waitForText(page, `${card(orders)} [data-figure="deadLetters"]`, '0');
    await page.waitForFunction(() => document.querySelectorAll('#dead-table tbody tr').length === 0);
    // The consumer took them back: 32 + 8 acked, as Redis's now-empty lists agree.
    await waitForText(page, `[data-consumer="billing"] [data-source="${orders}"] [data-figure="acked"]`, '40');
    expect(await redis.llen(orders)).toBe(0);

    // Three new dead letters; purge one selected row.
    await redis.set(broken, '1');
    await publishOrders(100, 3, () => true);
    await until(async () => (await deadInRedis()) === 3, { what: '3 new dead letters', timeoutMs: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('#dead-table tbody tr').length === 3, undefined, {
      timeout: 30_000,
    });
    const id = await page.locator('#dead-table tbody tr').first().getAttribute('data-id');
    await page.locator(`#dead-table input[data-select="${id}"]`).check();
    await page.locator('#purge').click();
    expect(await confirm(page, 'ok')).toBe(`Delete 1 selected dead letter of ${orders} for good?`);
    await waitForText(page, '#dead-message', 'purged 1');
    expect(await deadInRedis()).toBe(2);
    await waitForText(page, `${card(orders)} [data-figure="deadLetters"]`, '2');
    await page.waitForFunction(
      (gone) =>
        document.querySelectorAll('#dead-table tbody tr').length === 2 &&
        !document.querySelector(`#dead-table tr[data-id="${gone}"]`),
      id,
    );

    const shot = join(shots, 'after-redrive.png');
    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header at the top of the shot
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    await annotate('after redrive and purge', { path: shot });
    await page.close();
  });
});
