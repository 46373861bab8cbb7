// The process runner against a real Redis reliable list: children are real processes of
// test/fixtures/consumer.mjs; the runner under test is the built package (dist), as users run it.
import { publish } from '@rxq/redis';
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, supervise, type SupervisorEvent } from '../dist/index.js';
import { cleanup, client, handledNumbers, keysMatching, uniqueName } from './helpers.js';
import { until } from '@rxq/core/testing';

const consumer = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const crash = fileURLToPath(new URL('./fixtures/crash.mjs', import.meta.url));
const stubborn = fileURLToPath(new URL('./fixtures/stubborn.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const admin = client();
afterAll(() => admin.quit());

async function fill(list: string, n: number): Promise<void> {
  const pipeline = admin.pipeline();
  for (let i = 0; i < n; i++) pipeline.rpush(list, JSON.stringify({ n: i }));
  await pipeline.exec();
}

function lines(stream: PassThrough): string[] {
  const out: string[] = [];
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    out.push(...parts);
  });
  return out;
}

/** Runs `rxq run` with 2 children under load, stops it with `signal`, and checks the drain. */
async function gracefulStop(
  signal: (runner: ChildProcess) => void,
  { n, handleMs, before }: { n: number; handleMs: number; before: number },
): Promise<void> {
  const list = uniqueName('stop');
  const done = `${list}:done`;
  const N = n;
  try {
    await fill(list, N);
    const runner = spawn(process.execPath, [cli, 'run', consumer, '--processes', '2', '--drain-timeout-ms', '8000'], {
      env: { ...process.env, LIST: list, DONE: done, HANDLE_MS: String(handleMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a shell gives a foreground job
    });
    const stdout = new PassThrough();
    runner.stdout.pipe(stdout);
    const out = lines(stdout);
    let stderr = '';
    runner.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<number | null>((resolve) => runner.once('close', (code) => resolve(code)));
    await until(async () => (await admin.llen(done)) >= before, { what: `${before} handled`, timeoutMs: 30_000 });
    const stoppedAt = performance.now();
    signal(runner);
    const code = await exit;
    const stopMs = performance.now() - stoppedAt;
    expect(code, stderr).toBe(EXIT_CODES.ok);
    expect(stopMs).toBeLessThan(8_000);
    // Both children drained.
    // (The last lines may still be on their way through the pipe when the runner has exited.)
    await until(() => out.filter((l) => /^\[consumer\.mjs#[01] \d+\] drained$/.test(l)).length === 2, {
      what: () =>
        `both children drained; the runner said:\n${stderr}\nthe children said:\n${out.slice(-20).join('\n')}`,
      timeoutMs: 5_000,
    });
    // Under load: work was left when the stop came, and it is all back in the list.
    const handled = await handledNumbers(admin, done);
    const left = (await admin.lrange(list, 0, -1)).map((p) => (JSON.parse(p) as { n: number }).n);
    expect(handled.size).toBeLessThan(N);
    expect(left.length).toBeGreaterThan(0);
    const all = new Set([...handled, ...left]);
    for (let n = 0; n < N; n++) expect(all.has(n)).toBe(true);
    // No processing list holds anything: every in-flight message was settled or given back.
    for (const key of await keysMatching(admin, `${list}:processing:*`)) expect(await admin.llen(key)).toBe(0);
    expect(stderr).toContain('stopping 2 children of consumer.mjs');
  } finally {
    await cleanup(admin, list);
  }
}

describe('supervise', () => {
  it('restarts a SIGKILLed child and loses nothing on a reliable list', async () => {
    const list = uniqueName('kill');
    const done = `${list}:done`;
    const N = 1_500;
    try {
      await fill(list, N);
      // Publish one more through rxq's own helper, to be sure its envelope passes too.
      await publish(admin, list, { n: N });
      const events: SupervisorEvent[] = [];
      const stdout = new PassThrough();
      const out = lines(stdout);
      const supervisor = supervise({
        module: consumer,
        processes: 2,
        env: { LIST: list, DONE: done, HANDLE_MS: '2' },
        restart: { initialMs: 50, maxMs: 200 },
        drainTimeoutMs: 10_000,
        signals: false,
        stdout,
        onEvent: (e) => events.push(e),
      });
      await until(async () => (await admin.llen(done)) >= 300, { what: '300 handled', timeoutMs: 30_000 });
      const victim = supervisor.pids()[0]!;
      process.kill(victim, 'SIGKILL');
      await until(() => events.some((e) => e.type === 'started' && e.index === 0 && e.pid !== victim), {
        what: 'restart',
      });
      const restartedPid = supervisor.pids()[0]!;
      // The new child is consuming (and so drains on the stop below).
      await until(() => out.some((l) => l.startsWith(`[consumer.mjs#0 ${restartedPid}] consuming`)), {
        what: 'consuming',
      });
      await until(async () => (await handledNumbers(admin, done)).size === N + 1, {
        what: 'every message handled',
        timeoutMs: 60_000,
      });
      expect(await supervisor.stop()).toBe(EXIT_CODES.ok);

      const exited = events.find((e) => e.type === 'exited' && e.pid === victim);
      expect(exited).toMatchObject({ type: 'exited', index: 0, signal: 'SIGKILL' });
      expect(events.filter((e) => e.type === 'restarting')).toHaveLength(1);
      const handled = await handledNumbers(admin, done);
      for (let n = 0; n <= N; n++) expect(handled.has(n)).toBe(true);
      // Duplicates: at most what the killed child held (maxInFlight 16).
      expect((await admin.llen(done)) - (N + 1)).toBeLessThanOrEqual(16);
      // Each child's lines carry its prefix, the restarted child's with its new pid.
      expect(supervisor.pids()).toEqual([undefined, undefined]); // every child has exited after the stop
      expect(out.some((l) => l.startsWith(`[consumer.mjs#0 ${victim}] consuming`))).toBe(true);
      await until(() => out.some((l) => /^\[consumer\.mjs#1 \d+\] drained$/.test(l)), {
        what: '#1 drained',
        timeoutMs: 5_000,
      });
      await until(() => out.includes(`[consumer.mjs#0 ${restartedPid}] drained`), {
        what: '#0 drained',
        timeoutMs: 5_000,
      });
    } finally {
      await cleanup(admin, list);
    }
  });

  it('`rxq run` drains every child on SIGTERM under load and exits 0, nothing lost', () =>
    gracefulStop((runner) => runner.kill('SIGTERM'), { n: 4_000, handleMs: 5, before: 300 }));

  // Slow handlers: a drain long enough for a second signal to a child to cut it short.
  it('Ctrl-C (SIGINT to the whole foreground group) drains every child once and exits 0', () =>
    gracefulStop((runner) => process.kill(-runner.pid!, 'SIGINT'), { n: 400, handleMs: 300, before: 16 }));

  it('gives up loudly on a child that keeps dying, and exits 1', async () => {
    const events: SupervisorEvent[] = [];
    const errors: string[] = [];
    const stderr = new PassThrough();
    const err = lines(stderr);
    const supervisor = supervise({
      module: crash,
      processes: 2,
      restart: { initialMs: 10, maxMs: 20, maxRestarts: 2 },
      signals: false,
      stderr,
      onEvent: (e) => events.push(e),
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (_fields, message) => errors.push(message),
      },
    });
    expect(await supervisor.done).toBe(EXIT_CODES.gaveUp);
    expect(events.some((e) => e.type === 'gave-up')).toBe(true);
    expect(errors.some((m) => m.includes('kept dying (2 restarts in a row): giving up'))).toBe(true);
    expect(err.some((l) => /^\[crash\.mjs#[01] \d+\] cannot start: no configuration$/.test(l))).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'stopped', exitCode: EXIT_CODES.gaveUp });
  });

  it('SIGKILLs a child that has not exited after drainTimeoutMs, and exits 3', async () => {
    const events: SupervisorEvent[] = [];
    const stdout = new PassThrough();
    const out = lines(stdout);
    const supervisor = supervise({
      module: stubborn,
      processes: 1,
      drainTimeoutMs: 300,
      signals: false,
      stdout,
      onEvent: (e) => events.push(e),
    });
    await until(() => out.some((l) => l.endsWith('] running')), { what: 'child running' });
    const started = performance.now();
    expect(await supervisor.stop()).toBe(EXIT_CODES.drainTimedOut);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await until(() => out.some((l) => l.endsWith('] SIGTERM ignored')), { what: 'SIGTERM seen', timeoutMs: 5_000 });
    expect(events.find((e) => e.type === 'exited')).toMatchObject({ signal: 'SIGKILL' });
  });

  it('`rxq run` exits 2 with its usage on a wrong command line', async () => {
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.once('close', (code) => resolve({ code, stderr }));
      });
    const missing = await run('run');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing the module to run');
    expect(missing.stderr).toContain('Usage: rxq run <module>');
    const bad = await run('run', consumer, '--processes', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--processes expects a number');
    const unknown = await run('start', consumer);
    expect(unknown.code).toBe(2);
  });

  it('rejects unknown options, also nested ones', () => {
    expect(() => supervise({ module: consumer, proceses: 2 } as never)).toThrow(/did you mean `processes`/);
    expect(() => supervise({ module: consumer, env: { N: 1 } } as never)).toThrow(/Invalid option `env`/);
    expect(() => supervise({ module: '/nonexistent/consumer.js' })).toThrow(/an existing file/);
    expect(() => supervise({ module: consumer, restart: { maxRestart: 1 } } as never)).toThrow(
      /restart\.maxRestart.*restart\.maxRestarts/,
    );
  });
});
