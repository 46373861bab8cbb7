// rxq's metrics scraped by Prometheus: a consumer of the memory queue whose OpenTelemetry metrics
// are served at http://127.0.0.1:PORT/metrics (default 9464) by the OpenTelemetry Prometheus
// exporter. node packages/otel/examples/prometheus.mjs   (after `pnpm build`; MESSAGES=n to change the run)
import { createServer } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ack, fromQueue, handle, retryWithResend, shutdownSignal } from '@rxq/core';
import { memory, MemoryQueue } from '@rxq/memory';
import { instrumentMetrics } from '@rxq/otel';

const exporter = new PrometheusExporter({ preventServerStart: true });
const meter = new MeterProvider({ readers: [exporter] }).getMeter('orders-service');

const queue = new MemoryQueue();
const source = fromQueue(memory(queue, { name: 'orders' }), { stop: shutdownSignal() });
const m = instrumentMetrics(source, { meter, system: 'memory' });
const count = Number(process.env.MESSAGES ?? 100);
queue.pushMany(Array.from({ length: count }, (_, n) => ({ n })));

let settled = 0;
source
  .pipe(
    handle(async (msg) => {
      if (msg.body.n % 10 === 0) throw new Error('every tenth order fails');
    }),
    retryWithResend({ maxAttempts: 1 }), // dead-letter failures at once
    ack(),
    m.record,
  )
  .subscribe({
    next: () => {
      if (++settled === count) console.log(`settled ${settled}`);
    },
    complete: () => server.close(),
  });

const server = createServer((request, response) => exporter.getMetricsRequestHandler(request, response));
server.listen(Number(process.env.PORT ?? 9464), '127.0.0.1', () => {
  console.log(`metrics on http://127.0.0.1:${server.address().port}/metrics`);
});
