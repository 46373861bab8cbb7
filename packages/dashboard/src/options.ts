import { readFileSync } from 'node:fs';
import { InvalidOptionError, rejectUnknownOptions } from '@rxq/core';
import type { OpenAdmin } from './admin.js';

/** One queue on the dashboard. */
export interface QueueConfig {
  /** The broker's URL (`redis://…`, `amqp://…`, …: those `@rxq/console` opens); credentials from the environment. */
  readonly url: string;
  /** The queue (list, stream, queue, topic, subject). */
  readonly queue: string;
  /** The dead-letter destination where it is not the connector's default. @default the connector's */
  readonly deadLetter?: string;
  /** The consumer group whose figures `stats` reports (Kafka, streams, …). @default the only one */
  readonly group?: string;
}

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The queues to show. @default none (plus those of `config`) */
  readonly queues?: readonly QueueConfig[];
  /**
   * Addresses of consumer processes serving `consumerReporter(…).listener` (`http://host:port`,
   * or the full URL of their `/rxq/consumer`). @default none (plus those of `config`)
   */
  readonly consumers?: readonly string[];
  /** A JSON file with `{ "queues": [...], "consumers": [...] }`, added to the two above. @default none */
  readonly config?: string;
  /** Address to listen on; anything but loopback exposes the page to the network. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 takes a free one (see the returned `url`). @default 9470 */
  readonly port?: number;
  /**
   * Enables actions (redrive, purge, showing bodies) for requests that carry it (`Authorization:
   * Bearer <token>`; the page asks for it). Without a token the dashboard is read-only. @default none
   */
  readonly token?: string | undefined;
  /** How often queues' stats and consumers' reports are read. @default 2_000 */
  readonly pollMs?: number;
  /** How much history the plots keep. @default 600_000 (10 minutes) */
  readonly historyMs?: number;
  /** How long a consumer's report may take before it shows as unreachable. @default 1_500 */
  readonly consumerTimeoutMs?: number;
  /** Opens a queue's admin. @default `openAdmin` of `@rxq/console` */
  readonly openAdmin?: OpenAdmin;
}

/** The options checked, with defaults and the config file read. */
export interface ResolvedOptions {
  readonly queues: readonly QueueConfig[];
  readonly consumers: readonly URL[];
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly pollMs: number;
  readonly historyMs: number;
  readonly consumerTimeoutMs: number;
  readonly openAdmin: OpenAdmin | undefined;
}

const NAMES = [
  'queues',
  'consumers',
  'config',
  'host',
  'port',
  'token',
  'pollMs',
  'historyMs',
  'consumerTimeoutMs',
  'openAdmin',
] as const;

/** Checks the options (an invalid or unknown one throws `InvalidOptionError` naming it). */
export function resolveOptions(options: DashboardOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  rejectUnknownOptions(options, NAMES);
  let queues = [...queuesOf(options.queues, 'queues')];
  let consumers = [...consumersOf(options.consumers, 'consumers')];
  if (options.config !== undefined) {
    if (typeof options.config !== 'string') throw new InvalidOptionError('config', 'a file path', options.config);
    let file: unknown;
    try {
      file = JSON.parse(readFileSync(options.config, 'utf8'));
    } catch (error) {
      throw new InvalidOptionError('config', `a readable JSON file (${(error as Error).message})`, options.config);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file))
      throw new InvalidOptionError('config', 'a JSON object with queues and consumers', options.config);
    rejectUnknownOptions(file, ['queues', 'consumers'], 'config');
    const f = file as { queues?: unknown; consumers?: unknown };
    queues = [...queues, ...queuesOf(f.queues, 'config.queues')];
    consumers = [...consumers, ...consumersOf(f.consumers, 'config.consumers')];
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError('host', 'a host name or address', host);
  const port = options.port ?? 9470;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidOptionError('port', 'a port 0–65535', port);
  const token = options.token;
  if (token !== undefined && (typeof token !== 'string' || token.length < 8))
    throw new InvalidOptionError('token', 'a string of at least 8 characters', '(hidden)');
  const pollMs = duration(options.pollMs ?? 2_000, 'pollMs', 100);
  const historyMs = duration(options.historyMs ?? 600_000, 'historyMs', pollMs);
  const consumerTimeoutMs = duration(options.consumerTimeoutMs ?? 1_500, 'consumerTimeoutMs', 1);
  if (options.openAdmin !== undefined && typeof options.openAdmin !== 'function')
    throw new InvalidOptionError('openAdmin', 'a function (url, queue, options) → admin', options.openAdmin);
  return { queues, consumers, host, port, token, pollMs, historyMs, consumerTimeoutMs, openAdmin: options.openAdmin };
}

function duration(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw new InvalidOptionError(name, `a number of milliseconds ≥ ${min}`, value);
  return value;
}

function queuesOf(value: unknown, name: string): QueueConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidOptionError(name, 'an array of { url, queue }', value);
  return value.map((q: unknown, i) => {
    if (typeof q !== 'object' || q === null) throw new InvalidOptionError(`${name}[${i}]`, 'a { url, queue }', q);
    rejectUnknownOptions(q, ['url', 'queue', 'deadLetter', 'group'], `${name}[${i}]`);
    const { url, queue, deadLetter, group } = q as Record<string, unknown>;
    if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
      throw new InvalidOptionError(`${name}[${i}].url`, 'a broker URL such as redis://127.0.0.1:6379', '(hidden)');
    if (typeof queue !== 'string' || queue === '')
      throw new InvalidOptionError(`${name}[${i}].queue`, 'a queue name', queue);
    for (const [key, v] of [
      ['deadLetter', deadLetter],
      ['group', group],
    ] as const)
      if (v !== undefined && (typeof v !== 'string' || v === ''))
        throw new InvalidOptionError(`${name}[${i}].${key}`, 'a non-empty string', v);
    return {
      url,
      queue,
      ...(deadLetter === undefined ? {} : { deadLetter: deadLetter as string }),
      ...(group === undefined ? {} : { group: group as string }),
    };
  });
}

function consumersOf(value: unknown, name: string): URL[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidOptionError(name, 'an array of http:// addresses', value);
  return value.map((c: unknown, i) => {
    let url: URL | undefined;
    try {
      url = typeof c === 'string' ? new URL(c) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw new InvalidOptionError(`${name}[${i}]`, 'an http:// or https:// address of a consumerReporter', c);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/rxq/consumer';
    return url;
  });
}
