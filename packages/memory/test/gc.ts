import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * How many of `refs` still reach their object after a full collection. Waits a macrotask first:
 * a WeakRef's target is kept alive until the end of the job that made or read it.
 */
export async function aliveAfterGc(refs: readonly WeakRef<object>[]): Promise<number> {
  await new Promise((r) => setImmediate(r));
  gc();
  return refs.filter((r) => r.deref() !== undefined).length;
}
