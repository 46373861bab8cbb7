// Runs under node:test with vitest unloadable (see block-vitest.mjs): @rxq/core/testing must load
// and work without it. Run by src/testing/noVitest.test.ts, or by hand:
//   node --import ./test/no-vitest/block-vitest.mjs --test test/no-vitest/testing.node.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { of } from 'rxjs';

test('vitest really is unloadable here', async () => {
  await assert.rejects(import('vitest'), /blocked/);
});

test('@rxq/core/testing loads without vitest: fakeMessage, collectUntil, until, invalidOption and aliveAfterGc work', async () => {
  const { fakeMessage, collectUntil, collectAll } = await import('@rxq/core/testing');
  const { ack, handle } = await import('@rxq/core');
  const m = fakeMessage('a', { body: { n: 1 }, headers: { h: 'v' } });
  const records = await collectAll(
    of(m).pipe(
      handle((msg) => msg.body.n),
      ack(),
    ),
  );
  assert.deepEqual(m.ops, ['ack']);
  assert.equal(records[0].settlement, 'acked');
  assert.deepEqual(m.headers, { h: 'v' });
  const firstTwo = await collectUntil(of(1, 2, 3), (vs) => vs.length === 2);
  assert.deepEqual(firstTwo, [1, 2]);
  // The other helpers of the entry work here too.
  const { until, invalidOption, aliveAfterGc } = await import('@rxq/core/testing');
  let calls = 0;
  await until(() => ++calls === 2, { intervalMs: 1 });
  assert.equal(calls, 2);
  await assert.rejects(
    until(() => false, { what: 'never', timeoutMs: 5 }),
    /until: never not met within 5 ms/,
  );
  const { fromQueue } = await import('@rxq/core');
  assert.equal(
    invalidOption(() => fromQueue({ name: 'x', open: () => new Promise(() => {}) }, { maxInflight: 1 })).option,
    'maxInflight',
  );
  assert.equal(await aliveAfterGc([new WeakRef({})]), 0);
});

test('the contract suite, which needs vitest, lives at its own entry', async () => {
  await assert.rejects(import('@rxq/core/testing/contract'), /blocked/);
});
