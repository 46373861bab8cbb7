import type { Caller } from './caller.js';
import type { Dispatcher } from './dispatcher.js';
import type { ResolvedOptions } from './options.js';

/** A JSON API answer: HTTP status and body. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

const bad = (message: string): JsonAnswer => ({ status: 400, body: { error: { code: 'BAD_REQUEST', message } } });
const notFound = (message: string): JsonAnswer => ({ status: 404, body: { error: { code: 'NOT_FOUND', message } } });

/** Checks a body's fields: an object with only `known` keys. Returns an error message or the object. */
function fields(body: unknown, known: readonly string[]): Record<string, unknown> | string {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  for (const key of Object.keys(body)) if (!known.includes(key)) return `unknown field \`${key}\``;
  return body as Record<string, unknown>;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isMs = (v: unknown): v is number => typeof v === 'number' && v >= 0 && Number.isFinite(v);
const isIds = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');

/**
 * rxq's own model over HTTP (all bodies and answers JSON):
 *
 * - `GET /v1/queues` → `{ queues: [{ name, size }] }`
 * - `POST /v1/queues/:name/messages` `{ messages: [...] }` → `{ pushed }`
 * - `POST /v1/queues/:name/pull` `{ max?: 1, waitMs?: 0, leaseMs? }` → `{ messages: [{ id, value, attempt, headers? }] }`
 *   (a long poll: waits up to `waitMs`, at most `maxWaitMs`, for at least one)
 * - `POST /v1/ack` `{ ids }` → `{ acked }`; `POST /v1/nack` `{ ids, delayMs?: 0 }` → `{ nacked }`;
 *   `POST /v1/release` `{ ids }` → `{ released }` (counts of leases that were still live)
 *
 * Every field is checked before anything is done: an answer 400 has had no effect.
 */
export async function jsonApi(
  d: Dispatcher,
  method: string,
  path: string,
  body: unknown,
  caller: Caller,
  o: ResolvedOptions,
): Promise<JsonAnswer> {
  if (method === 'GET' && path === '/v1/queues')
    return {
      status: 200,
      body: { queues: [...d.queues.values()].map((q) => ({ name: q.name, size: q.size?.() ?? null })) },
    };
  const queueRoute = /^\/v1\/queues\/([^/]+)\/(messages|pull)$/.exec(path);
  if (queueRoute) {
    const name = decodeURIComponent(queueRoute[1] as string);
    const queue = d.queues.get(name);
    if (queue === undefined) return notFound(`no queue \`${name}\``);
    if (queueRoute[2] === 'messages') {
      const f = fields(body, ['messages']);
      if (typeof f === 'string') return bad(f);
      if (!Array.isArray(f.messages)) return bad('`messages` must be an array');
      await queue.push(f.messages);
      return { status: 200, body: { pushed: f.messages.length } };
    }
    const f = fields(body, ['max', 'waitMs', 'leaseMs']);
    if (typeof f === 'string') return bad(f);
    if (f.max !== undefined && !isCount(f.max)) return bad('`max` must be an integer ≥ 1');
    if (f.waitMs !== undefined && !isMs(f.waitMs)) return bad('`waitMs` must be a number ≥ 0');
    if (f.leaseMs !== undefined && !(isMs(f.leaseMs) && f.leaseMs > 0)) return bad('`leaseMs` must be a number > 0');
    const waitMs = Math.min(f.waitMs ?? 0, o.maxWaitMs);
    const items = await d.lease(queue, f.max ?? 1, waitMs, f.leaseMs ?? d.leaseMs, caller);
    return { status: 200, body: { messages: items } };
  }
  const settle = /^\/v1\/(ack|nack|release)$/.exec(path);
  if (settle) {
    const kind = settle[1] as 'ack' | 'nack' | 'release';
    const f = fields(body, kind === 'nack' ? ['ids', 'delayMs'] : ['ids']);
    if (typeof f === 'string') return bad(f);
    if (!isIds(f.ids)) return bad('`ids` must be a non-empty array of lease ids');
    if (f.delayMs !== undefined && !isMs(f.delayMs)) return bad('`delayMs` must be a number ≥ 0');
    if (kind === 'ack') return { status: 200, body: { acked: await d.ack(f.ids) } };
    if (kind === 'release') return { status: 200, body: { released: await d.release(f.ids) } };
    return { status: 200, body: { nacked: await d.nack(f.ids, f.delayMs ?? 0, undefined) } };
  }
  return notFound('no such route');
}
