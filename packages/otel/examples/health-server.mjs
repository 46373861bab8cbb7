// A consumer with Kubernetes probes: GET /livez and /readyz on PORT (default 8080).
// node packages/otel/examples/health-server.mjs   (after `pnpm build`)
import { createServer } from 'node:http';
import { ack, fromQueue, handle, shutdownSignal } from '@rxq/core';
import { memory, MemoryQueue } from '@rxq/memory';
import { health, healthListener } from '@rxq/otel';

const queue = new MemoryQueue();
const source = fromQueue(memory(queue, { name: 'orders' }), { stop: shutdownSignal() });
const probe = health(source, { maxReconnectingMs: 30_000 });
const server = createServer(healthListener(probe));

source
  .pipe(
    handle(async () => {}),
    ack(),
  )
  .subscribe({
    complete: () => server.close(), // drained: stop answering, then exit
  });
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`probes on http://127.0.0.1:${server.address().port}`);
});
