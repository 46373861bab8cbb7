// Runs inside each worker thread of a `handleInWorkers` pool (piscina's `filename`): loads the
// user's module once per thread, runs its `init` once before the first message, then calls its
// handler with plain messages and answers with a plain reply. Never imported by the main thread.
import { threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { errorToWire, type WorkerMessage, type WorkerReply, type WorkerTask } from './wire.js';

/** What the main thread gives every thread of the pool. @internal */
export interface PoolData {
  readonly moduleUrl: string;
  readonly handlerExport: string;
  readonly initData: unknown;
}

type UserHandler = (item: unknown, context: { threadId: number }) => unknown;

/** Why the module could not serve: at `load` (import, export) or in its `init`. */
class StartFailure extends Error {
  constructor(
    readonly stage: 'load' | 'init',
    readonly error: unknown,
  ) {
    super(stage);
  }
}

let ready: Promise<UserHandler> | undefined;
let failed: WorkerReply | undefined;

async function load(data: PoolData): Promise<UserHandler> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(data.moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new StartFailure('load', error);
  }
  const handler = mod[data.handlerExport];
  if (typeof handler !== 'function')
    throw new StartFailure('load', new TypeError(`the module has no function export named "${data.handlerExport}"`));
  const init = mod['init'];
  if (typeof init === 'function') {
    try {
      await (init as (data: unknown, context: { threadId: number }) => unknown)(data.initData, { threadId });
    } catch (error) {
      throw new StartFailure('init', error);
    }
  }
  return handler as UserHandler;
}

function ownedBuffer(value: unknown): ArrayBuffer | undefined {
  if (value instanceof ArrayBuffer) return value;
  if (value instanceof Uint8Array && value.buffer instanceof ArrayBuffer) {
    const { buffer } = value;
    if (value.byteOffset === 0 && value.byteLength === buffer.byteLength && buffer.byteLength > 0) return buffer;
  }
  return undefined;
}

/** Moves a returned `ArrayBuffer` or whole-buffer `Uint8Array` back instead of copying it. */
function reply(value: WorkerReply): unknown {
  if (value.t !== 'ok') return value;
  const buffer = ownedBuffer(value.value);
  if (buffer === undefined) return value;
  return move({ [transferableSymbol]: buffer, [valueSymbol]: value });
}

/** piscina's entry: one item (a message or a batch) in, one reply out. */
export default async function run(task: WorkerTask): Promise<unknown> {
  if (failed) return failed;
  ready ??= load(workerData as PoolData);
  let handler: UserHandler;
  try {
    handler = await ready;
  } catch (thrown) {
    const { stage, error } = thrown as StartFailure;
    failed = { t: 'init-failed', stage, error: errorToWire(error) };
    return failed;
  }
  const item: WorkerMessage | readonly WorkerMessage[] = task.batch
    ? task.messages
    : (task.messages[0] as WorkerMessage);
  try {
    return reply({ t: 'ok', value: await handler(item, { threadId }) });
  } catch (error) {
    const partial = (error as { failed?: unknown }).failed;
    if (task.batch && error instanceof Error && Array.isArray(partial)) {
      const failedIndexes = partial.map((m) => task.messages.indexOf(m as WorkerMessage)).filter((i) => i >= 0);
      const cause = (error as { cause?: unknown }).cause ?? error;
      return { t: 'failed', error: errorToWire(cause), failedIndexes } satisfies WorkerReply;
    }
    return { t: 'failed', error: errorToWire(error) } satisfies WorkerReply;
  }
}
