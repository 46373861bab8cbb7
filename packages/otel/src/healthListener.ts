import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Health } from './health.js';

/**
 * A `node:http` request listener for probes: `GET /livez` and `GET /readyz` answer 200 or 503
 * with the report as JSON (`{ live, ready, reason }`); any other path is 404.
 *
 * @example
 * http.createServer(healthListener(health(source))).listen(8080);
 */
export function healthListener(probe: Health): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || (path !== '/livez' && path !== '/readyz')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const report = probe.check();
    const ok = path === '/livez' ? report.live : report.ready;
    response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report) + '\n');
  };
}
