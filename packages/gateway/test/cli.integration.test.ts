import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RawClient } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const oldClient = fileURLToPath(new URL('./fixtures/old_client.py', import.meta.url));
const run = promisify(execFile);

/** Starts `rxq-gateway` with `args`; resolves with its ports once it listens. */
async function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [cli, '--port', '0', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  const { port, httpPort } = JSON.parse(first.value as string) as { port: number; httpPort: number | null };
  return { child, port, httpPort };
}

describe('rxq-gateway', () => {
  it('serves a memory queue to a Python client of the old protocol, and stops on SIGTERM', async () => {
    const { child, port } = await startCli(['--queue', 'memory:q']);
    try {
      const { stdout } = await run('python3', [oldClient, String(port)]);
      const seen = JSON.parse(stdout) as Record<string, unknown>;
      expect(seen).toEqual({
        push: ['success', null],
        push_many: ['success', null],
        pull: ['success', { id: 1, text: 'naïve ☃' }],
        pull_many: ['success', [2, 'three', [4]]],
        pull_many_timeout: ['success', [null, 5.5, true]],
        pull_empty: ['error:timeout', null],
        pull_many_empty: ['error:timeout', null],
        malformed: ['error:request', 'malformed request'],
        unknown_action: ['error:request', 'action not found'],
        still_open: ['success', null],
        drain: ['success', Array.from({ length: 100 }, (_, i) => i)],
        after_quit: '',
      });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  });

  it('serves several queues, and on SIGTERM closes every connection and exits 0', async () => {
    const { child, port } = await startCli(['--queue', 'memory:a', '--queue', 'memory:b']);
    const c = await RawClient.open(port);
    expect(await c.call(['push_many', [1, 2], { queue: 'b' }])).toEqual(['success', null]);
    expect(await c.call(['pull', [0], { queue: 'a' }])).toEqual(['error:timeout', null]);
    expect(await c.call(['pull', [0], { queue: 'b' }])).toEqual(['success', 1]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.kill('SIGTERM');
    await c.closed;
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('requires the token from RXQ_GATEWAY_TOKEN', async () => {
    const { child, port } = await startCli(['--queue', 'memory:q'], { RXQ_GATEWAY_TOKEN: 's3cret' });
    try {
      const anon = await RawClient.open(port);
      expect(await anon.call(['push', [1]])).toEqual(['error:auth', 'authentication required']);
      await anon.closed;
      const c = await RawClient.open(port);
      expect(await c.call(['auth', ['s3cret']])).toEqual(['success', null]);
      expect(await c.call(['push', [1]])).toEqual(['success', null]);
      c.kill();
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('rejects a bad command line with usage and status 2', async () => {
    const result = await run(process.execPath, [cli, '--queue', 'kafka:x']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr).toContain(
      'Invalid option `queue`: expected memory:NAME or NAME=redis|amqp|kafka://',
    );
    const nats = await run(process.execPath, [cli, '--queue', 'jobs=nats://app:secret@127.0.0.1:4222']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(nats).toMatchObject({ code: 2 });
    expect((nats as { stderr: string }).stderr).toContain('nats is served from code with connectorBackend');
    // The credentials in a URL never reach the output.
    expect((nats as { stderr: string }).stderr).not.toContain('secret');
    const typo = await run(process.execPath, [cli, '--prot', '1']).catch((e: { code: number; stderr: string }) => e);
    expect(typo).toMatchObject({ code: 2 });
  });
});
