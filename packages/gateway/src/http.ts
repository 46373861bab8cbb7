import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleRequest, HTTP_ACTIONS, sameSecret } from './actions.js';
import { Caller } from './caller.js';
import type { Dispatcher } from './dispatcher.js';
import { jsonApi, type JsonAnswer } from './jsonApi.js';
import type { ResolvedOptions } from './options.js';
import type { Reply } from './protocol.js';
import { topicApi } from './topicApi.js';
import type { Topics } from './topics.js';

/** The HTTP side of a gateway. */
export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Thrown while reading a body: answered with its HTTP status. */
class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const OLD_FORM = /^\/(push|pull|push_many|pull_many)\/?$/;

/** HTTP status of an old-form reply. */
function httpStatus(r: Reply): number {
  switch (r.status) {
    case 'success':
    case 'error:timeout':
      return 200;
    case 'error:request':
      return r.result === 'action not found' || r.result === 'queue not found' ? 404 : 400;
    case 'error:auth':
      return 401;
    default:
      return 500;
  }
}

/**
 * Starts the HTTP server on `node:http`: the lean server's form (`POST /push/` … with `[args,
 * kwargs]` bodies) and the JSON API under `/v1/`. Every request is read and checked whole before
 * anything is done, so a request answered with an error has had no effect.
 */
export async function startHttp(
  dispatcher: Dispatcher,
  o: ResolvedOptions,
  port: number,
  topics?: Topics,
): Promise<HttpServer> {
  const server = createServer((req, res) => {
    void route(req, res).catch((error: unknown) => {
      o.logger.error({ err: error }, 'an HTTP request failed unexpectedly');
      if (!res.headersSent) send(res, 500, ['error:unknown', 'internal error']);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const old = OLD_FORM.exec(url.pathname);
    const authorised = o.token === undefined || bearer(req, o.token);
    if (old === null && !url.pathname.startsWith('/v1/')) return send(res, 404, ['error:request', 'action not found']);
    // The topic routes take GET, PUT and DELETE too: their router answers a wrong method.
    const topicRoute = url.pathname === '/v1/topics' || url.pathname.startsWith('/v1/topics/');
    if (req.method !== 'POST' && !(req.method === 'GET' && url.pathname === '/v1/queues') && !topicRoute)
      return send(res, 405, old ? ['error:request', 'use POST'] : { error: { code: 'METHOD', message: 'use POST' } });
    if (!authorised) {
      res.setHeader('www-authenticate', 'Bearer');
      return send(
        res,
        401,
        old ? ['error:auth', 'authentication required'] : apiError('UNAUTHORISED', 'bearer token required'),
      );
    }
    let body: unknown;
    try {
      body = await readJson(req, o.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      return send(
        res,
        error.statusCode,
        old ? ['error:request', error.message] : apiError('BAD_REQUEST', error.message),
      );
    }
    const caller = new Caller(true);
    // The response written whole: what an old-form pull handed out is acked. The client gone
    // before that: it goes back.
    res.once('close', () => {
      if (res.writableFinished) {
        void dispatcher.confirm(caller);
        // JSON API leases were the caller's only until the answer was out: now they live on their own.
        caller.leases.clear();
      } else void dispatcher.drop(caller);
    });
    if (old) {
      const r = await oldForm(old[1] as string, body, url, caller);
      return send(res, httpStatus(r), [r.status, r.result]);
    }
    if (topicRoute) {
      if (topics === undefined)
        return send(res, 404, apiError('NOT_FOUND', 'no topics are served (start the gateway with `postgres`)'));
      const answer = await topicApi(topics, req.method ?? 'POST', url.pathname, body, caller.signal, o);
      return send(res, answer.status, answer.body);
    }
    const answer: JsonAnswer = await jsonApi(dispatcher, req.method ?? 'POST', url.pathname, body, caller, o);
    return send(res, answer.status, answer.body);
  }

  async function oldForm(action: string, body: unknown, url: URL, caller: Caller): Promise<Reply> {
    if (body === undefined) body = [[], {}];
    if (!Array.isArray(body) || body.length > 2) return { status: 'error:request', result: 'malformed request' };
    const [args, kwargs] = body as [unknown, unknown];
    const kw: Record<string, unknown> =
      kwargs !== null && typeof kwargs === 'object' && !Array.isArray(kwargs) ? { ...kwargs } : {};
    const queue = url.searchParams.get('queue');
    if (queue !== null) kw.queue = queue;
    // A pull over HTTP waits at most maxWaitMs, whatever its timeout says.
    if (action.startsWith('pull')) {
      const index = action === 'pull' ? 0 : 1;
      const list = Array.isArray(args) ? [...(args as unknown[])] : [];
      const given = list.length > index ? list[index] : kw.timeout;
      const cap = o.maxWaitMs / 1000;
      const capped = given === undefined || given === null || (typeof given === 'number' && given > cap) ? cap : given;
      if (list.length > index) list[index] = capped;
      else kw.timeout = capped;
      return handleRequest(dispatcher, caller, [action, list, kw], undefined, HTTP_ACTIONS);
    }
    return handleRequest(dispatcher, caller, [action, args ?? [], kw], undefined, HTTP_ACTIONS);
  }

  server.listen(port, o.host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function bearer(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  return typeof header === 'string' && header.startsWith('Bearer ') && sameSecret(header.slice(7), token);
}

const apiError = (code: string, message: string): { error: { code: string; message: string } } => ({
  error: { code, message },
});

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  };
  // A body too large was not read to its end: the connection cannot carry another request.
  if (status === 413) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

/** The body as JSON (undefined when empty), at most `max` bytes, UTF-8. */
async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) throw new BodyError(413, 'body too large');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw new BodyError(413, 'body too large');
      chunks.push(chunk);
    }
  } catch (error) {
    // A client that goes mid-body: nothing was done, and no one is left to answer.
    if (error instanceof BodyError) throw error;
    throw new BodyError(400, 'malformed request');
  }
  if (size === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BodyError(400, 'malformed request');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'malformed request');
  }
}
