import { type Observable, type Subscription } from 'rxjs';

/**
 * Subscribes to `observable` and resolves with what it emitted once `until(values)` holds (then
 * unsubscribes unless `keep`), or when it completes. Rejects after `timeoutMs` with what it saw.
 */
export function collectUntil<V>(
  observable: Observable<V>,
  until: (values: readonly V[]) => boolean,
  timeoutMs = 20_000,
): Promise<V[]> {
  return new Promise<V[]>((resolve, reject) => {
    const values: V[] = [];
    let finished = false;
    const end = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      queueMicrotask(() => subscription.unsubscribe());
      if (error === undefined) resolve(values);
      else reject(error instanceof Error ? error : new Error('stream errored', { cause: error }));
    };
    const timer = setTimeout(
      () => end(new Error(`collectUntil: condition not met within ${timeoutMs} ms (${values.length} values seen)`)),
      timeoutMs,
    );
    const subscription: Subscription = observable.subscribe({
      next(v) {
        // A synchronous source goes on emitting until the deferred unsubscribe: ignore the rest.
        if (finished) return;
        values.push(v);
        if (until(values)) end();
      },
      error: (e: unknown) => end(e ?? new Error('stream errored')),
      complete: () => end(),
    });
  });
}

/** Resolves with everything `observable` emits once it completes; rejects on error or timeout. */
export function collectAll<V>(observable: Observable<V>, timeoutMs = 20_000): Promise<V[]> {
  return collectUntil(observable, () => false, timeoutMs);
}
