import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { quietRequestQueue } from './requestQueue.js';

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (options: {
  instrumentationEmitter: null;
  maxInFlightRequests: null;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  clientId: string;
  broker: string;
  logger: { namespace: () => Record<string, () => void> };
}) => { pending: unknown[]; throttleCheckTimeoutId: unknown; scheduleCheckPendingRequests(): void; destroy(): void };

const noop = (): void => undefined;
const make = () =>
  new RequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: { namespace: () => ({ debug: noop, info: noop, warn: noop, error: noop }) },
  });

it("kafkajs' request queue arms no timer when nothing is pending (no negative timeout), and still does when something is", () => {
  quietRequestQueue();
  const queue = make();
  queue.scheduleCheckPendingRequests();
  expect(queue.throttleCheckTimeoutId).toBeNull();
  queue.pending.push({});
  queue.scheduleCheckPendingRequests();
  expect(queue.throttleCheckTimeoutId).not.toBeNull();
  queue.destroy();
});
