import { RxqError } from '@rxq/core';
import type { JsonAnswer } from './jsonApi.js';
import type { ResolvedOptions } from './options.js';
import type { Topics } from './topics.js';

const answer = (status: number, body: unknown): JsonAnswer => ({ status, body });
const error = (status: number, code: string, message: string): JsonAnswer =>
  answer(status, { error: { code, message } });
const bad = (message: string): JsonAnswer => error(400, 'BAD_REQUEST', message);
const notFound = (message: string): JsonAnswer => error(404, 'NOT_FOUND', message);
const method = (allowed: string): JsonAnswer => error(405, 'METHOD', `use ${allowed}`);

/** The body as an object with only `known` keys, or an error message. */
function fields(body: unknown, known: readonly string[]): Record<string, unknown> | string {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  for (const key of Object.keys(body)) if (!known.includes(key)) return `unknown field \`${key}\``;
  return body as Record<string, unknown>;
}

const isOffset = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isMs = (v: unknown): v is number => typeof v === 'number' && v >= 0 && Number.isFinite(v);

type Target = 'beginning' | 'end' | { offset: number } | { timestamp: number };

/** `to` of a reset: `beginning`, `end`, `{ offset }` (≥ 1) or `{ timestamp }` (ms or an ISO 8601 string). */
function target(to: unknown): Target | { why: string } {
  if (to === 'beginning' || to === 'end') return to;
  const why = { why: '`to` must be "beginning", "end", { "offset": n ≥ 1 } or { "timestamp": ms or ISO 8601 }' };
  if (typeof to !== 'object' || to === null || Array.isArray(to) || Object.keys(to).length !== 1) return why;
  const t = to as { offset?: unknown; timestamp?: unknown };
  if ('offset' in t) return isOffset(t.offset, 1) ? { offset: t.offset } : why;
  const ms = typeof t.timestamp === 'string' ? Date.parse(t.timestamp) : t.timestamp;
  return typeof ms === 'number' && Number.isFinite(ms) ? { timestamp: ms } : why;
}

/** A `@rxq/postgres` error as an answer: not found 404, a refused value 400, the rest 503 or 500. */
function failure(e: RxqError): JsonAnswer {
  if (e.code === 'NOT_FOUND') return notFound(e.message);
  if (e.code === 'INVALID_OPTION') return bad(e.message);
  return error(e.retryable ? 503 : 500, e.code, e.message);
}

const SEGMENT = '([^/]+)';
const ROUTE = new RegExp(
  `^/v1/topics(?:/${SEGMENT}(?:/(messages|reset)|/(subscribers)(?:/${SEGMENT}(?:/(pull|ack|reset))?)?)?)?$`,
);

/**
 * The topic routes, over `@rxq/postgres` topics (see the README for the table). Every field is
 * checked before anything is done: an answer 400 has had no effect.
 */
export async function topicApi(
  topics: Topics,
  verb: string,
  path: string,
  body: unknown,
  signal: AbortSignal,
  o: ResolvedOptions,
): Promise<JsonAnswer> {
  const m = ROUTE.exec(path);
  if (m === null) return notFound('no such route');
  let topic: string | undefined;
  let subscriber: string | undefined;
  try {
    topic = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    subscriber = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
  } catch {
    return bad('a malformed name in the path');
  }
  const where = topics.where;
  try {
    if (topic === undefined) {
      if (verb !== 'GET') return method('GET');
      return answer(200, { topics: (await topics.pg.listTopics(where)).map(topicInfo) });
    }
    const t = { ...where, topic };
    if (subscriber !== undefined) return await subscriberRoute(topics, verb, m[5], t, subscriber, body, signal, o);
    if (m[3] !== undefined) {
      if (verb !== 'GET') return method('GET');
      if ((await topics.pg.listTopics(t)).length === 0) return notFound(`no topic \`${topic}\``);
      return answer(200, { subscribers: await subscribers(topics, t) });
    }
    if (m[2] === 'messages') {
      if (verb !== 'POST') return method('POST');
      const f = fields(body, ['messages', 'headers']);
      if (typeof f === 'string') return bad(f);
      if (!Array.isArray(f.messages) || f.messages.length === 0) return bad('`messages` must be a non-empty array');
      const h = f.headers;
      if (h !== undefined && !isStringMap(h)) return bad('`headers` must be an object of strings');
      const offsets = await topics.pg.publishTopicMany(topics.pool, topic, f.messages, {
        schema: where.schema,
        create: false,
        ...(h === undefined ? {} : { headers: h }),
      });
      topics.wake(topic);
      return answer(200, { offsets: offsets.map(Number) });
    }
    if (m[2] === 'reset') return await reset(topics, verb, t, undefined, body);
    if (verb === 'PUT') {
      const f = fields(body, []);
      if (typeof f === 'string') return bad(f);
      const created = await topics.pg.createTopic(t);
      return answer(created ? 201 : 200, { topic, created });
    }
    if (verb === 'DELETE') {
      if (body !== undefined) return bad('no body expected');
      return (await topics.pg.deleteTopic(t)) ? answer(200, { deleted: true }) : notFound(`no topic \`${topic}\``);
    }
    if (verb === 'GET') {
      const [info] = await topics.pg.listTopics(t);
      if (info === undefined) return notFound(`no topic \`${topic}\``);
      return answer(200, { ...topicInfo(info), subscribers: await subscribers(topics, t) });
    }
    return method('GET, PUT or DELETE');
  } catch (e) {
    // A publish runs on the pool itself: its `pg` errors are classified here.
    return failure(e instanceof RxqError ? e : topics.pg.translatePgError(e, 'a topic request'));
  }
}

type Where = Topics['where'] & { topic: string };

async function subscriberRoute(
  topics: Topics,
  verb: string,
  action: string | undefined,
  t: Where,
  subscriber: string,
  body: unknown,
  signal: AbortSignal,
  o: ResolvedOptions,
): Promise<JsonAnswer> {
  const s = { ...t, subscriber };
  if (action === undefined) {
    if (verb === 'PUT') {
      const f = fields(body, ['start']);
      if (typeof f === 'string') return bad(f);
      if (f.start !== undefined && f.start !== 'beginning' && f.start !== 'end')
        return bad('`start` must be "beginning" or "end"');
      const created = await topics.pg.createSubscriber({ ...s, start: f.start ?? 'end' });
      const mine = (await subscribers(topics, t)).find((x) => x.name === subscriber);
      return answer(created ? 201 : 200, { subscriber, created, committed: mine?.committed ?? null });
    }
    if (verb === 'DELETE') {
      if (body !== undefined) return bad('no body expected');
      return (await topics.pg.deleteSubscriber(s))
        ? answer(200, { deleted: true })
        : notFound(`no subscriber \`${subscriber}\` of topic \`${t.topic}\``);
    }
    return method('PUT or DELETE');
  }
  if (verb !== 'POST') return method('POST');
  if (action === 'reset') return reset(topics, verb, t, subscriber, body);
  if (action === 'pull') {
    const f = fields(body, ['max', 'waitMs', 'after']);
    if (typeof f === 'string') return bad(f);
    const max = topics.config.maxBatch;
    if (f.max !== undefined && !(isOffset(f.max, 1) && f.max <= max))
      return bad(`\`max\` must be an integer 1..${max}`);
    if (f.waitMs !== undefined && !isMs(f.waitMs)) return bad('`waitMs` must be a number ≥ 0');
    if (f.after !== undefined && !isOffset(f.after, 0)) return bad('`after` must be an offset ≥ 0');
    const waitMs = Math.min(f.waitMs ?? 0, o.maxWaitMs);
    return answer(200, await topics.pull(t.topic, subscriber, f.max ?? 1, f.after, waitMs, signal));
  }
  const f = fields(body, ['offset']);
  if (typeof f === 'string') return bad(f);
  if (!isOffset(f.offset, 1)) return bad('`offset` must be an offset ≥ 1');
  return answer(200, { committed: Number(await topics.pg.commitSubscriber({ ...s, offset: f.offset })) });
}

async function reset(
  topics: Topics,
  verb: string,
  t: Where,
  subscriber: string | undefined,
  body: unknown,
): Promise<JsonAnswer> {
  if (verb !== 'POST') return method('POST');
  const f = fields(body, ['to']);
  if (typeof f === 'string') return bad(f);
  const to = target(f.to);
  if (typeof to === 'object' && 'why' in to) return bad(to.why);
  const all = await subscribers(topics, t);
  if (subscriber === undefined && (await topics.pg.listTopics(t)).length === 0)
    return notFound(`no topic \`${t.topic}\``);
  if (subscriber !== undefined && !all.some((x) => x.name === subscriber))
    return notFound(`no subscriber \`${subscriber}\` of topic \`${t.topic}\``);
  const next = await topics.pg.resetSubscriber({ ...t, ...(subscriber === undefined ? {} : { subscriber }), to });
  return answer(200, { next: Number(next), subscribers: subscriber === undefined ? all.length : 1 });
}

async function subscribers(topics: Topics, t: Where): Promise<{ name: string; committed: number; lag: number }[]> {
  const offsets = await topics.pg.subscriberOffsets(t);
  return offsets.map((x) => ({ name: x.subscriber, committed: Number(x.committed), lag: x.lag }));
}

function topicInfo(i: { name: string; lastOffset: string; firstOffset: string | null; subscribers: number }): object {
  return {
    name: i.name,
    lastOffset: Number(i.lastOffset),
    firstOffset: i.firstOffset === null ? null : Number(i.firstOffset),
    subscribers: i.subscribers,
  };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
  );
}
