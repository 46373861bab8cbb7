// A user's app, outside the workspace: it installs rxq's packed tarballs from npm's point of view,
// with its own ioredis (not the version rxq develops against), passes its own clients, types its
// bodies with a zod schema, and meets a wrong password on each broker. Run by
// scripts/scratch-app.sh, compiled under strict TypeScript first; exits non-zero on a failure.
import { ack, AuthenticationError, fromQueue, handle, schemaCodec, type StatusEvent } from '@rxq/core';
import { amqp, publishMany as amqpPublishMany } from '@rxq/amqp';
import { kafka } from '@rxq/kafka';
import { publishMany, redis } from '@rxq/redis';
import { Redis } from 'ioredis';
import { connect } from 'amqplib';
import { filter, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { z } from 'zod';

const Order = z.object({ id: z.string(), amount: z.number().positive() });
type Order = z.infer<typeof Order>;

const stem = `rxq-scratch:${process.pid}`;
const check = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(`scratch app: ${what}`);
  console.log(`ok  ${what}`);
};

/** The first error of a source that is expected to fail, and how many reconnects it made first. */
async function failureOf(source: ReturnType<typeof fromQueue>): Promise<{ error: unknown; reconnects: number }> {
  const statuses: StatusEvent[] = [];
  const sub = source.status$.subscribe((s) => statuses.push(s));
  const error = await firstValueFrom(source).then(
    () => undefined,
    (e: unknown) => e,
  );
  sub.unsubscribe();
  return { error, reconnects: statuses.filter((s) => s.status === 'reconnecting').length };
}

const secretFree = (error: unknown, secret: string): boolean =>
  !JSON.stringify(error, Object.getOwnPropertyNames(error)).includes(secret) &&
  !String((error as Error).stack).includes(secret);

async function redisPart(): Promise<void> {
  const client = new Redis('redis://127.0.0.1:6379');
  const queue = `${stem}:orders`;
  try {
    await publishMany(client, queue, [
      { id: 'a', amount: 3 },
      { id: 'b', amount: -1 },
      { id: 'c', amount: 4 },
    ]);
    const source = fromQueue(redis(queue, { connection: client, blockMs: 100 }), { codec: schemaCodec(Order) });
    const records = await lastValueFrom(
      source.pipe(
        handle((m) => {
          // The body's type is the schema's, with no cast, and not `any`:
          const amount: number = m.body.amount;
          // @ts-expect-error: an amount is not a string
          const wrong: string = m.body.amount;
          void wrong;
          return amount.toFixed(2);
        }),
        ack(),
        take(2),
        toArray(),
      ),
    );
    await source.stop();
    check(records.map((r) => r.ok).join() === 'true,true', 'two valid orders handled with their schema type');
    const dead = await client.lrange(`${queue}:dead`, 0, -1);
    check(dead.length === 1, 'the order that fails the schema is dead-lettered');
    check(client.status === 'ready', 'the app’s own client is left open');

    const user = `rxq-scratch-${process.pid}`;
    await client.call('ACL', 'SETUSER', user, 'on', '>right-secret', `~${stem}:*`, '+@all');
    try {
      const { error, reconnects } = await failureOf(
        fromQueue(redis(`${stem}:w`, { connection: `redis://${user}:wrong-secret@127.0.0.1:6379` })),
      );
      check(error instanceof AuthenticationError && reconnects === 0, 'Redis: a wrong password errors at once');
      check(secretFree(error, 'wrong-secret'), 'Redis: the password is not in the error');
    } finally {
      await client.call('ACL', 'DELUSER', user);
    }
  } finally {
    const keys = await client.keys(`${stem}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  }
}

async function amqpPart(): Promise<void> {
  const connection = await connect('amqp://guest:guest@127.0.0.1:5672');
  const queue = `${stem}.orders`;
  try {
    const source = fromQueue(amqp(queue, { connection }), { codec: schemaCodec(Order) });
    const first = firstValueFrom(source);
    // The source declares its queue when it connects; publish after that (publish is mandatory).
    await firstValueFrom(source.status$.pipe(filter((s) => s.status === 'connected')));
    await amqpPublishMany(connection, queue, [{ id: 'x', amount: 9 }]);
    const msg = await first;
    const amount: number = msg.body.amount;
    check(amount === 9, 'AMQP: a typed order on the app’s own connection');
    await source.stop();
    const { error, reconnects } = await failureOf(
      fromQueue(amqp(`${stem}.w`, { connection: 'amqp://guest:wrong-secret@127.0.0.1:5672' })),
    );
    check(error instanceof AuthenticationError && reconnects === 0, 'AMQP: a wrong password errors at once');
    check(secretFree(error, 'wrong-secret'), 'AMQP: the password is not in the error');
  } finally {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await connection.close();
  }
}

async function kafkaPart(): Promise<void> {
  const brokers = (process.env.SCRATCH_KAFKA_SASL ?? '').split(',').filter(Boolean);
  if (brokers.length === 0) throw new Error('scratch app: SCRATCH_KAFKA_SASL (a SASL/PLAIN broker) is not set');
  const { error, reconnects } = await failureOf(
    fromQueue(
      kafka(`${stem.replace(':', '-')}-w`, {
        brokers,
        sasl: { mechanism: 'plain', username: 'rxq', password: 'wrong-secret' },
        groupId: `${stem.replace(':', '-')}-g`,
      }),
    ),
  );
  check(error instanceof AuthenticationError && reconnects === 0, 'Kafka: a wrong SASL password errors at once');
  check(secretFree(error, 'wrong-secret'), 'Kafka: the password is not in the error');
}

await redisPart();
await amqpPart();
await kafkaPart();
