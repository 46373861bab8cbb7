#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from '@rxq/core';
import type { MemoryQueue } from '@rxq/memory';
import type { QueueBackend } from './backend.js';
import { queueFromSpec } from './queueSpec.js';
import { serve, type Gateway } from './serve.js';

const USAGE = `usage: rxq-gateway [--port 3000] [--host 127.0.0.1] [--http-port N] --queue memory:NAME ...
  --queue memory:NAME        serve an in-process queue NAME (repeatable; the first is the default)
  --queue NAME=redis://HOST:PORT[/DB]  serve the Redis list NAME (reliable: at-least-once)
  --queue NAME=amqp://USER:PASS@HOST:PORT[/VHOST]  serve the AMQP queue NAME (at-least-once)
  --queue NAME=kafka://HOST:PORT[,HOST:PORT][?group=G]  serve the Kafka topic NAME (at-least-once)
  --port N                   TCP port of the line protocol (default 3000; 0: any free port)
  --http-port N              also serve HTTP on N (default: no HTTP)
  --postgres URL             serve the @rxq/postgres topics of this database under /v1/topics
                             (needs --http-port; migrates the schema on start)
  --postgres-schema NAME     their schema (default rxq)
  --host ADDRESS             address to listen on (default 127.0.0.1)
  --max-connections N        (default 1024)     --max-line-bytes N   (default 1048576)
  --max-body-bytes N         (default 1048576)  --line-timeout-ms N  (default 30000)
  --lease-ms N               (default 300000)   --log-level LEVEL    (debug|info|warn|error, default info)
  --token-file PATH          require this bearer token (or set RXQ_GATEWAY_TOKEN)`;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** JSON lines on stderr, at `level` and above. */
function stderrLogger(level: Level): Logger {
  const min = LEVELS.indexOf(level);
  const at =
    (l: Level) =>
    (fields: Record<string, unknown>, msg: string): void => {
      if (LEVELS.indexOf(l) < min) return;
      process.stderr.write(JSON.stringify({ level: l, time: new Date().toISOString(), msg, ...fields }) + '\n');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function fail(message: string): never {
  process.stderr.write(`rxq-gateway: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) fail(`--${name} must be an integer`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'http-port': { type: 'string' },
        queue: { type: 'string', multiple: true },
        'max-connections': { type: 'string' },
        'max-line-bytes': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'line-timeout-ms': { type: 'string' },
        'lease-ms': { type: 'string' },
        'log-level': { type: 'string' },
        'token-file': { type: 'string' },
        postgres: { type: 'string' },
        'postgres-schema': { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (parsed.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const level = (parsed['log-level'] ?? 'info') as Level;
  if (!LEVELS.includes(level)) fail('--log-level must be debug, info, warn or error');
  const token = parsed['token-file']
    ? readFileSync(parsed['token-file'], 'utf8').trim()
    : process.env.RXQ_GATEWAY_TOKEN || undefined;
  const defined = <T>(entries: Record<string, T | undefined>): Record<string, T> =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Record<string, T>;
  const logger = stderrLogger(level);
  let gateway: Gateway;
  try {
    const queues: Record<string, MemoryQueue<unknown> | QueueBackend> = {};
    for (const spec of parsed.queue ?? ['memory:default']) {
      const [name, queue] = await queueFromSpec(spec, logger);
      queues[name] = queue;
    }
    const url = parsed.postgres;
    if (url === undefined && parsed['postgres-schema'] !== undefined) fail('--postgres-schema needs --postgres');
    gateway = await serve({
      queues,
      logger,
      ...(url === undefined
        ? {}
        : { postgres: { connection: url, ...defined({ schema: parsed['postgres-schema'] }) } }),
      ...defined({ host: parsed.host, token }),
      ...defined({
        port: int('port', parsed.port),
        httpPort: int('http-port', parsed['http-port']),
        maxConnections: int('max-connections', parsed['max-connections']),
        maxLineBytes: int('max-line-bytes', parsed['max-line-bytes']),
        maxBodyBytes: int('max-body-bytes', parsed['max-body-bytes']),
        lineTimeoutMs: int('line-timeout-ms', parsed['line-timeout-ms']),
        leaseMs: int('lease-ms', parsed['lease-ms']),
      }),
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  // One line on stdout with the ports, for scripts that start it with port 0.
  process.stdout.write(JSON.stringify({ port: gateway.port, httpPort: gateway.httpPort ?? null }) + '\n');
  const stop = (): void => {
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
