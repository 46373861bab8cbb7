// pnpm bench otel: CPU per message of @rxq/otel's traced() on the memory queue, one by one (an
// async no-op handler, concurrency 64): without the wrapper, with it and no SDK registered (the
// API's no-ops), and with an SDK whose batch span processor exports to an exporter that drops
// every span (alone, and with the AsyncLocalStorage context manager). Rounds alternate the first two, so that a load change on the machine hits both.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ack, fromQueue, handle } from '@rxq/core';
import { MemoryQueue, memory } from '@rxq/memory';
import { traced } from '@rxq/otel';
import { fakeMessage } from '@rxq/core/testing';
import { envInt, settle } from './lib.mjs';

// The SDK is a dev dependency of @rxq/otel: load it from there.
const fromOtel = createRequire(new URL('../packages/otel/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(fromOtel.resolve(name)).href);

const N = envInt('BENCH_N', 300_000);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const body = { id: 0, kind: 'order.created', amount: 42 };
const noop = async () => {};

/** CPU µs per message to consume and ack N messages through `handler`. */
function run(handler) {
  const queue = new MemoryQueue();
  queue.pushMany(Array.from({ length: N }, () => body));
  settle();
  return new Promise((resolve, reject) => {
    let settled = 0;
    const started = process.cpuUsage();
    const source = fromQueue(memory(queue), { maxInFlight: 256 });
    const subscription = source.pipe(handle(handler, { concurrency: 64 }), ack()).subscribe({
      next: () => {
        if (++settled !== N) return;
        const cpu = process.cpuUsage(started);
        subscription?.unsubscribe();
        resolve((cpu.user + cpu.system) / N);
      },
      error: reject,
    });
  });
}

/** CPU ns per call of `handler` on one message, alone (no queue around it): a steadier figure. */
function calls(handler) {
  const message = fakeMessage('m-1', { body });
  const context = { signal: new AbortController().signal };
  const n = N * 10;
  const started = process.cpuUsage();
  for (let i = 0; i < n; i++) handler(message, context);
  const cpu = process.cpuUsage(started);
  return ((cpu.user + cpu.system) * 1000) / n;
}
const sync = () => undefined;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round2 = (x) => Math.round(x * 100) / 100;

async function main() {
  const wrapped = traced(noop);
  await run(noop); // warm-up of both paths
  await run(wrapped);
  const plain = [];
  const noSdk = [];
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await run(noop));
    noSdk.push(await run(wrapped));
  }
  calls(sync); // warm-up
  calls(traced(sync));
  const callPlain = [];
  const callNoSdk = [];
  for (let i = 0; i < ROUNDS; i++) {
    callPlain.push(calls(sync));
    callNoSdk.push(calls(traced(sync)));
  }
  const api = await load('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await load('@opentelemetry/sdk-trace-base');
  const { AsyncLocalStorageContextManager } = await load('@opentelemetry/context-async-hooks');
  const dropping = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  // Where the SDK's cost goes: spans alone (no context manager: the handler's own spans would not
  // nest), then the AsyncLocalStorage context manager on top, and what it costs a plain handler.
  api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }));
  const sdkWrapped = traced(noop);
  await run(sdkWrapped);
  const sdkNoContext = [];
  for (let i = 0; i < ROUNDS; i++) sdkNoContext.push(await run(sdkWrapped));
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const plainAls = [];
  const sdk = [];
  for (let i = 0; i < ROUNDS; i++) {
    plainAls.push(await run(noop));
    sdk.push(await run(sdkWrapped));
  }
  const line = {
    bench: 'otel traced(), memory one-by-one, async no-op handler, concurrency 64',
    messages: N,
    rounds: ROUNDS,
    cpuUsPerMsg: {
      plain: plain.map(round2),
      tracedNoSdk: noSdk.map(round2),
      tracedSdkNoContextManager: sdkNoContext.map(round2),
      plainWithAsyncLocalStorage: plainAls.map(round2),
      tracedSdkDroppingExporter: sdk.map(round2),
    },
    medianOverheadUsPerMsg: {
      noSdk: round2(median(noSdk) - median(plain)),
      sdk: round2(median(sdk) - median(plain)),
      sdkSpansAlone: round2(median(sdkNoContext) - median(plain)),
      asyncLocalStorageOnPlain: round2(median(plainAls) - median(plain)),
    },
    wrapperAloneNsPerCall: {
      plain: callPlain.map(Math.round),
      tracedNoSdk: callNoSdk.map(Math.round),
      noSdkOverhead: Math.round(median(callNoSdk) - median(callPlain)),
    },
    target: { noSdkOverheadUsPerMsg: 0.1 },
  };
  console.log(JSON.stringify(line));
}

await main();
