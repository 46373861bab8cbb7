import { join } from 'node:path';
import { ack, fixed, fromQueue, handle, json, retryWithResend } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { migrate, pgQueue, publishMany } from '@rxq/postgres';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../src/index.js';
import { launchBrowser, screenshotDir, uniqueName, waitForText } from './helpers.js';

const URL = process.env.RXQ_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'rxq_dashboard_test';
const TOKEN = 'postgres-test-token';
const queue = uniqueName('pg').replace(/[^a-z0-9]/gi, '_');
const pool = new pg.Pool({ connectionString: URL, max: 2 });
let browser: Browser;
let dashboard: Dashboard;

async function count(sql: string): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql, [queue])).rows[0]?.n);
}
const jobs = () => count(`SELECT count(*) AS n FROM ${SCHEMA}.jobs WHERE queue = $1`);
const dead = () => count(`SELECT count(*) AS n FROM ${SCHEMA}.dead_letters WHERE source = $1`);

beforeAll(async () => {
  await migrate({ connection: URL, schema: SCHEMA });
  // Six jobs; an rxq consumer dead-letters the odd ones on their first attempt and acks the rest.
  await publishMany(pool, queue, [0, 1, 2, 3, 4, 5], { schema: SCHEMA });
  await collectUntil(
    fromQueue(pgQueue(queue, { connection: URL, schema: SCHEMA, codec: json }), { maxInFlight: 8 }).pipe(
      handle((m) => {
        if ((m.body as number) % 2 === 1) throw new RangeError(`order ${String(m.body)}`);
      }),
      retryWithResend({ maxAttempts: 1, backoff: fixed() }),
      ack(),
    ),
    (records) => records.length === 6,
  );
  await publishMany(pool, queue, [6, 7], { schema: SCHEMA }); // waiting: the depth
  browser = await launchBrowser();
  dashboard = await startDashboard({
    port: 0,
    pollMs: 300,
    queues: [{ url: `${URL}?schema=${SCHEMA}`, queue }],
    token: TOKEN,
  });
});

afterAll(async () => {
  await dashboard?.close();
  await browser?.close();
  await pool.query(`DELETE FROM ${SCHEMA}.jobs WHERE queue = $1`, [queue]);
  await pool.query(`DELETE FROM ${SCHEMA}.dead_letters WHERE source = $1`, [queue]);
  await pool.end();
});

describe('a PostgreSQL queue on the page', () => {
  it("shows the tables' counts, and redrive moves the dead letters back into jobs", async ({ annotate }) => {
    expect(await dead()).toBe(3);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(dashboard.url);
    const q = `[data-queue="${queue}"]`;
    await waitForText(page, `${q} [data-figure="depth"]`, String(await jobs()));
    await waitForText(page, `${q} [data-figure="deadLetters"]`, String(await dead()));
    await page.locator(`${q} [data-action="dead-letters"]`).click();
    await page.waitForFunction(() => document.querySelectorAll('#dead-table tbody tr').length === 3, undefined, {
      timeout: 30_000,
    });
    expect(await page.locator('#dead-table [data-field="reason"]').allTextContents()).toEqual([
      'max-attempts',
      'max-attempts',
      'max-attempts',
    ]);
    expect((await page.locator('#dead-table [data-field="error"]').allTextContents()).sort()).toEqual([
      'RangeError: order 1',
      'RangeError: order 3',
      'RangeError: order 5',
    ]);

    await page.locator('#token').fill(TOKEN);
    await page.locator('#token-form button').click();
    await page.locator('#redrive').click();
    await page.locator('#confirm-ok').click();
    await waitForText(page, '#dead-message', 'moved 3 of 3');
    expect(await dead()).toBe(0);
    expect(await jobs()).toBe(5);
    await waitForText(page, `${q} [data-figure="deadLetters"]`, '0');
    await waitForText(page, `${q} [data-figure="depth"]`, '5');

    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header at the top of the shot
    const shot = join(screenshotDir(), 'postgres-after-redrive.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    await annotate('PostgreSQL after redrive', { path: shot });
    await page.close();
  });
});
