import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminDeadLetter } from './admin.js';
import type { Collector } from './collector.js';
import type { DashboardState, Series } from './state.js';
import { describeError } from './state.js';
import { bearerOf, tokenMatches } from './token.js';

const ASSETS: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
/** Dead letters listed at most per request. */
export const MAX_LISTED = 500;
/** Bytes of a body shown at most. */
export const MAX_BODY_BYTES = 16_384;

/** What the request listener needs. */
export interface RouteContext {
  readonly collector: Collector;
  readonly token: string | undefined;
  /** Host names a request may name in `Host` (loopback binds only), else null for any. */
  readonly allowedHosts: ReadonlySet<string> | null;
  readonly assets: URL;
  /** Open event streams (closed with the server). */
  readonly streams: Set<ServerResponse>;
}

/** The dashboard's request listener: the page, its event stream, and the JSON API. */
export function listener(ctx: RouteContext): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    route(ctx, request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { error: describeError(error) });
      else response.destroy();
    });
  };
}

async function route(ctx: RouteContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://dashboard');
  if (ctx.allowedHosts && !ctx.allowedHosts.has(hostOf(request.headers.host))) {
    // A page of another site that resolves its own name to 127.0.0.1 (DNS rebinding) is refused.
    send(response, 421, { error: 'unexpected Host header' });
    return;
  }
  const method = request.method ?? 'GET';
  const asset = ASSETS[url.pathname];
  if (method === 'GET' && asset !== undefined) {
    const body = await readFile(new URL(asset, ctx.assets));
    response.writeHead(200, {
      'content-type': TYPES[asset.split('.').pop() ?? ''] ?? 'text/plain',
      ...SECURITY_HEADERS,
    });
    response.end(body);
    return;
  }
  if (method === 'GET' && url.pathname === '/events') return stream(ctx, response);
  if (method === 'GET' && url.pathname === '/api/state') return send(response, 200, ctx.collector.current());
  const match = /^\/api\/queues\/(\d+)\/(dead-letters|redrive|purge)$/.exec(url.pathname);
  const queue = match ? ctx.collector.queues[Number(match[1])] : undefined;
  if (!match || !queue) return send(response, 404, { error: 'not found' });
  const action = match[2];
  if (action === 'dead-letters' && method === 'GET') {
    const body = url.searchParams.get('body') === '1';
    if (body && !authorized(ctx, request, response)) return;
    const limit = Math.min(MAX_LISTED, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
    const admin = await queue.open();
    const letters = await admin.deadLetters.list({ limit, body });
    return send(response, 200, {
      destination: admin.deadLetters.destination,
      limit,
      letters: letters.map((l) => view(l, body)),
    });
  }
  if ((action === 'redrive' || action === 'purge') && method === 'POST') {
    if (!authorized(ctx, request, response)) return;
    const input = await readJson(request);
    const ids = (input as { ids?: unknown }).ids;
    if (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string')))
      return send(response, 400, { error: '`ids` must be an array of dead-letter ids' });
    const filter = ids === undefined ? {} : { ids: ids };
    const admin = await queue.open();
    let result: object;
    try {
      result = action === 'redrive' ? await admin.deadLetters.redrive(filter) : await admin.deadLetters.purge(filter);
    } catch (error) {
      return send(response, 502, { error: describeError(error) });
    }
    await ctx.collector.refresh();
    return send(response, 200, result);
  }
  send(response, 405, { error: 'method not allowed' });
}

/** Whether the request may act; answers 403 (read-only) or 401 (no or wrong token) when not. */
function authorized(ctx: RouteContext, request: IncomingMessage, response: ServerResponse): boolean {
  if (ctx.token === undefined) {
    send(response, 403, { error: 'read-only: start the dashboard with a token to enable actions' });
    return false;
  }
  if (!tokenMatches(ctx.token, bearerOf(request.headers.authorization))) {
    send(response, 401, { error: 'a valid token is needed for this action' });
    return false;
  }
  return true;
}

function stream(ctx: RouteContext, response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    ...SECURITY_HEADERS,
  });
  // The whole state (histories included) once, then each poll's state with only the newest point
  // of each history: the page appends it, so an update stays small however long the history.
  response.write(`event: state\ndata: ${JSON.stringify(ctx.collector.current())}\n\n`);
  const unsubscribe = ctx.collector.subscribe((state) =>
    response.write(`event: update\ndata: ${JSON.stringify(newestPoints(state))}\n\n`),
  );
  ctx.streams.add(response);
  response.on('close', () => {
    unsubscribe();
    ctx.streams.delete(response);
  });
}

/** The state with each history cut to its newest point. */
export function newestPoints(state: DashboardState): DashboardState {
  return {
    ...state,
    queues: state.queues.map((q) => ({ ...q, history: last(q.history) })),
    consumers: state.consumers.map((c) => ({
      ...c,
      sources: c.sources.map((s) => ({ ...s, history: last(s.history) })),
    })),
  };
}

function last<S extends Series<string>>(series: S): S {
  return Object.fromEntries(Object.entries(series).map(([k, v]) => [k, (v as unknown[]).slice(-1)])) as S;
}

function view(letter: AdminDeadLetter, body: boolean) {
  const out = {
    id: letter.id,
    attempt: letter.attempt,
    reason: letter.reason,
    error: letter.error,
    deadAt: letter.deadAt,
    origin: letter.origin,
    size: letter.size,
    headers: letter.headers,
  };
  if (!body || letter.body === undefined) return out;
  return {
    ...out,
    body: letter.body.subarray(0, MAX_BODY_BYTES).toString('utf8'),
    bodyTruncated: letter.body.length > MAX_BODY_BYTES,
  };
}

function send(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', ...SECURITY_HEADERS }).end(JSON.stringify(value));
}

async function readJson(request: IncomingMessage): Promise<object> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 1_000_000) throw new Error('request body too large');
  }
  if (text.trim() === '') return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null ? value : {};
}

function hostOf(header: string | undefined): string {
  if (header === undefined) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0] ?? '';
}
