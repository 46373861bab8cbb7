import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { Redis } from 'ioredis';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Debian's chromium (installed by .ci/run where missing); `RXQ_CHROMIUM` overrides the path. */
export const CHROMIUM = process.env.RXQ_CHROMIUM ?? '/usr/bin/chromium';

/** A unique key stem for one test. */
export function uniqueName(kind: string): string {
  return `rxq-test:dashboard-${kind}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** A headless chromium driven by playwright-core. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A directory for this run's screenshots. */
export function screenshotDir(): string {
  return mkdtempSync(join(tmpdir(), 'rxq-dashboard-shots-'));
}

/** A consumer process (test/fixtures/consumer.mjs) and the address of its reporter. */
export interface ConsumerProcess {
  readonly child: ChildProcess;
  readonly address: string;
  stop(): Promise<void>;
}

/**
 * Starts the fixture consumer on `queue` of Redis (or RabbitMQ); it fails messages marked `fail`
 * while the Redis key `broken` exists.
 */
export async function startConsumer(
  queue: string,
  broken: string,
  name: string,
  broker: 'redis' | 'amqp' = 'redis',
): Promise<ConsumerProcess> {
  const child = spawn(process.execPath, [new URL('./fixtures/consumer.mjs', import.meta.url).pathname], {
    env: {
      ...process.env,
      RXQ_BROKER: broker,
      RXQ_URL: broker === 'amqp' ? AMQP_URL : REDIS_URL,
      RXQ_FLAGS: REDIS_URL,
      RXQ_QUEUE: queue,
      RXQ_BROKEN: broken,
      RXQ_NAME: name,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the consumer exited with ${String(code)} before reporting its port`);
    }),
  ])) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return {
    child,
    address: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Deletes every key whose name starts with `stem` (what one test made). */
export async function cleanup(redis: Redis, stem: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${stem}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Waits until the element at `selector` shows `want` (the page updates by server-sent events). */
export async function waitForText(
  page: import('playwright-core').Page,
  selector: string,
  want: string | RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: string | null = null;
  while (Date.now() < deadline) {
    seen = await page
      .locator(selector)
      .first()
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    if (seen !== null && (typeof want === 'string' ? seen === want : want.test(seen))) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: expected ${String(want)}, the page shows ${JSON.stringify(seen)}`);
}
