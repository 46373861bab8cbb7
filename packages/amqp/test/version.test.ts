import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { connect } from 'amqplib';
import { expect, it } from 'vitest';

/** The amqplib these tests run against: the newest in the peer range, or with RXQ_AMQPLIB=lowest the lowest. */
it('runs against the amqplib the run asked for', async () => {
  const require = createRequire(import.meta.url);
  const expected = process.env.RXQ_AMQPLIB === 'lowest' ? 'amqplib-lowest' : 'amqplib';
  const manifest = join(dirname(require.resolve(expected)), 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const loaded = (await import('amqplib')) as { connect: unknown };
  expect(loaded.connect).toBe(connect);
  expect((require(expected) as { connect: unknown }).connect).toBe(connect);
  expect(version).toBe(process.env.RXQ_AMQPLIB === 'lowest' ? '2.0.1' : '2.3.1');
});
