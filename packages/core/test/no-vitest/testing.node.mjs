// Runs under node:test with vitest unloadable (see block-vitest.mjs): @rxq/core/testing must load
// and work without it. Run by src/testing/noVitest.test.ts, or by hand:
//   node --import ./test/no-vitest/block-vitest.mjs --test test/no-vitest/testing.node.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { of } from 'rxjs';

test('vitest really is unloadable here', async () => {
  await assert.rejects(import('vitest'), /blocked/);
});

test('@rxq/core/testing loads without vitest: fakeMessage and collectUntil work', async () => {
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
});

test('the contract suite, which needs vitest, lives at its own entry', async () => {
  await assert.rejects(import('@rxq/core/testing/contract'), /blocked/);
});
