import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const PG_URL = process.env.RXQ_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A unique schema name for one test. */
export function uniqueSchema(): string {
  return `rxq_gw_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2, application_name: 'rxq-gateway-test' });
  pool.on('error', () => undefined);
  return pool;
}

/** Drops one test's schema (and only it). */
export async function dropSchema(admin: pg.Pool, schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A JSON answer of the topic routes, as the tests read it (which fields are there depends on the route). */
export interface Answer {
  readonly error: { readonly code: string; readonly message: string };
  readonly messages: {
    readonly offset: number;
    readonly value?: unknown;
    readonly payload?: string;
    readonly headers: Readonly<Record<string, unknown>>;
    readonly timestamp: number;
  }[];
  readonly committed: number;
  readonly [field: string]: unknown;
}

/** A JSON client of one gateway's HTTP side. */
export function client(base: string, token = 'tok') {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<[number, Answer]> => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return [res.status, (await res.json()) as Answer];
  };
}

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Starts `rxq-gateway` with `args`; resolves with the process and its HTTP port once it listens. */
export async function startCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcessWithoutNullStreams; httpPort: number }> {
  const child = spawn(process.execPath, [cli, '--port', '0', '--http-port', '0', '--log-level', 'warn', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  if (first.done) throw new Error('rxq-gateway exited before it listened');
  const { httpPort } = JSON.parse(first.value) as { httpPort: number };
  return { child, httpPort };
}
