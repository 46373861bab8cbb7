import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { publishMany } from '@rxq/redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardCli } from '../src/index.js';
import type { DashboardState } from '../src/index.js';
import { cleanup, REDIS_URL, uniqueName } from './helpers.js';

// The `rxq` bin of @rxq/console, which forwards `rxq dashboard …` to dashboardCli.
const RXQ = new URL('../../console/dist/cli/main.js', import.meta.url).pathname;
const stem = uniqueName('cli');
const redis = new Redis(REDIS_URL);

afterAll(async () => {
  await cleanup(redis, stem);
  redis.disconnect();
});

describe('rxq dashboard', () => {
  it('serves the queues named on the command line, read-only, and stops on SIGTERM with code 0', async () => {
    const queue = `${stem}:orders`;
    await publishMany(
      redis,
      queue,
      Array.from({ length: 5 }, (_, n) => ({ n })),
    );
    const child = spawn(process.execPath, [RXQ, 'dashboard', REDIS_URL, queue, '--port', '0', '--poll-ms', '200'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RXQ_DASHBOARD_TOKEN: '' },
    });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    expect(line).toMatch(/^rxq dashboard on http:\/\/127\.0\.0\.1:\d+\/ \(read-only\)$/);
    const url = /(http:\S+)/.exec(line)![1]!;
    let state: DashboardState | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      state = (await (await fetch(`${url}api/state`)).json()) as DashboardState;
      if (state.queues[0]?.stats) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state!.actions).toBe(false);
    expect(state!.queues[0]).toMatchObject({ queue, broker: 'redis' });
    expect(state!.queues[0]!.stats!.depth).toBe(await redis.llen(queue));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  });

  it('prints its usage with --help, and an invalid option is one line and code 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) };
    expect(await dashboardCli(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('Usage: rxq dashboard');
    expect(await dashboardCli(['--port', '99999'], io)).toBe(2);
    expect(err.at(-1)).toMatch(/^rxq dashboard: Invalid option `port`/);
    expect(await dashboardCli(['--token', 'short'], io)).toBe(2);
    expect(err.at(-1)).toMatch(/`token`/);
    expect(err.at(-1)).not.toContain('short');
    expect(await dashboardCli(['--colour'], io)).toBe(2);
    expect(await dashboardCli([REDIS_URL], io)).toBe(2);
    expect(err.at(-1)).toContain('needs at least one queue');
  });

  it('runs until its signal, with the token from RXQ_DASHBOARD_TOKEN', async () => {
    const out: string[] = [];
    const stop = new AbortController();
    const run = dashboardCli(['--port', '0'], {
      stdout: (l) => {
        out.push(l);
        stop.abort();
      },
      env: { RXQ_DASHBOARD_TOKEN: 'from-the-environment' },
      signal: stop.signal,
    });
    expect(await run).toBe(0);
    expect(out[0]).toMatch(/\(actions need the token\)$/);
  });
});
