import { timingSafeEqual } from 'node:crypto';
import { RxqError } from '@rxq/core';
import * as arg from './args.js';
import type { Signature } from './args.js';
import type { QueueBackend } from './backend.js';
import type { Caller } from './caller.js';
import type { Dispatcher } from './dispatcher.js';
import { ActionError, NOT_FOUND, reply, SUCCESS_NULL, TIMEOUT, type Reply } from './protocol.js';

type Run = (d: Dispatcher, q: QueueBackend, a: Record<string, unknown>, c: Caller) => Reply | Promise<Reply>;
interface Action {
  readonly sig: Signature;
  readonly run: Run;
}

const CLOSE: Reply = { status: 'success', result: null, silent: true, close: true };
const success = (result: unknown): Reply => ({ status: 'success', result });

const pullMany: Run = async (d, q, a, c) => {
  const n = arg.count(a.n);
  const t = arg.timeoutMs(a.timeout);
  if (n === null && t === Infinity) throw new ActionError('pull_many(None) needs a timeout');
  const values = await d.pull(q, n, t, c);
  return values.length === 0 ? TIMEOUT : success(values);
};

const leaseMany =
  (single: boolean): Run =>
  async (d, q, a, c) => {
    const n = single ? 1 : arg.count(a.n);
    const t = arg.timeoutMs(a.timeout);
    if (n === null && t === Infinity) throw new ActionError('lease_many(None) needs a timeout');
    const items = await d.lease(q, n, t, arg.millis('lease_ms', a.lease_ms, d.leaseMs), c);
    if (items.length === 0) return TIMEOUT;
    return success(single ? items[0] : items);
  };

/** The actions of the TCP protocol (and of the old HTTP form, which has the queue ones). */
const ACTIONS: ReadonlyMap<string, Action> = new Map<string, Action>([
  [
    'push',
    {
      sig: { params: ['value'], required: 1 },
      run: async (_d, q, a) => (await q.push([a.value]), SUCCESS_NULL),
    },
  ],
  [
    'push_many',
    {
      sig: { params: [], required: 0, rest: 'values' },
      run: async (_d, q, a) => (await q.push(a.values as unknown[]), SUCCESS_NULL),
    },
  ],
  [
    'pull',
    {
      sig: { params: ['timeout'], required: 0 },
      run: async (d, q, a, c) => {
        const values = await d.pull(q, 1, arg.timeoutMs(a.timeout), c);
        return values.length === 0 ? TIMEOUT : success(values[0]);
      },
    },
  ],
  ['pull_many', { sig: { params: ['n', 'timeout'], required: 1 }, run: pullMany }],
  ['lease', { sig: { params: ['timeout', 'lease_ms'], required: 0 }, run: leaseMany(true) }],
  ['lease_many', { sig: { params: ['n', 'timeout', 'lease_ms'], required: 1 }, run: leaseMany(false) }],
  [
    'ack',
    { sig: { params: [], required: 0, rest: 'ids' }, run: async (d, _q, a) => success(await d.ack(arg.ids(a.ids))) },
  ],
  [
    'nack',
    {
      sig: { params: [], required: 0, rest: 'ids', keywords: ['delay_ms', 'headers'] },
      run: async (d, _q, a) =>
        success(await d.nack(arg.ids(a.ids), arg.millis('delay_ms', a.delay_ms, 0), arg.headers(a.headers))),
    },
  ],
  [
    'release',
    {
      sig: { params: [], required: 0, rest: 'ids' },
      run: async (d, _q, a) => success(await d.release(arg.ids(a.ids))),
    },
  ],
  [
    'dead_letter',
    {
      sig: { params: ['id', 'reason', 'error'], required: 2 },
      run: async (d, _q, a) => {
        const [id] = arg.ids([a.id]);
        if (typeof a.reason !== 'string') throw new ActionError('reason must be a string');
        return success(await d.deadLetter(id as string, a.reason, errorOf(a.error)));
      },
    },
  ],
  ['size', { sig: { params: [], required: 0 }, run: (_d, q) => success(q.size?.() ?? null) }],
  ['quit', { sig: { params: [], required: 0, rest: '_' }, run: () => CLOSE }],
  ['exit', { sig: { params: [], required: 0, rest: '_' }, run: () => CLOSE }],
  ['shutdown', { sig: { params: [], required: 0, rest: '_' }, run: () => CLOSE }],
]);

/** The old HTTP form serves only the lean server's four queue actions. */
export const HTTP_ACTIONS: ReadonlySet<string> = new Set(['push', 'push_many', 'pull', 'pull_many']);

/**
 * Answers one request `[action, args?, kwargs?]` (already parsed JSON). The request is checked
 * whole before anything is done: a request answered with an error has had no effect.
 */
export function handleRequest(
  dispatcher: Dispatcher,
  caller: Caller,
  request: unknown,
  token: string | undefined,
  only?: ReadonlySet<string>,
): Reply | Promise<Reply> {
  if (!Array.isArray(request) || request.length === 0 || request.length > 3)
    return reply('error:unknown', 'a request is [action, args?, kwargs?]');
  const [action, args, kwargs] = request as [unknown, unknown, unknown];
  if (typeof action !== 'string') return reply('error:unknown', 'the action must be a string');
  if (action === 'auth') return authenticate(caller, args, token);
  if (!caller.authorised) return reply('error:auth', 'authentication required');
  const entry = only === undefined || only.has(action) ? ACTIONS.get(action) : undefined;
  if (entry === undefined) return NOT_FOUND;
  if (args !== undefined && args !== null && !Array.isArray(args)) return reply('error:action', 'args must be a list');
  if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs)))
    return reply('error:action', 'kwargs must be an object');
  const kw = (kwargs ?? {}) as Record<string, unknown>;
  try {
    const bound = arg.bind(action, entry.sig, (args ?? []) as unknown[], kw);
    const queue = dispatcher.queue(kw.queue);
    if (queue === undefined) return reply('error:request', 'queue not found');
    const out = entry.run(dispatcher, queue, bound, caller);
    return out instanceof Promise ? out.catch(failed) : out;
  } catch (error) {
    return failed(error);
  }
}

function failed(error: unknown): Reply {
  if (error instanceof ActionError) return reply('error:action', error.message);
  if (error instanceof RxqError) return reply('error:action', `${error.name} (${error.code})`);
  return reply('error:unknown', error instanceof Error ? error.name : 'error');
}

function authenticate(caller: Caller, args: unknown, token: string | undefined): Reply {
  const given = Array.isArray(args) ? (args[0] as unknown) : undefined;
  if (token === undefined) return SUCCESS_NULL;
  if (typeof given === 'string' && sameSecret(given, token)) {
    caller.authorised = true;
    return SUCCESS_NULL;
  }
  return reply('error:auth', 'invalid token');
}

/** Constant-time comparison of two secrets. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function errorOf(value: unknown): { name: string; message: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && 'name' in value && 'message' in value) {
    const { name, message } = value;
    if (typeof name === 'string' && typeof message === 'string') return { name, message };
  }
  throw new ActionError('error must be { name, message } of strings');
}
