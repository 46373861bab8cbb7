// Type tests: run by vitest's typecheck (tsc) in the core project. A wrong type fails the run,
// and so does a `@ts-expect-error` line that compiles.
import { describe, expectTypeOf, it } from 'vitest';
import * as v from 'valibot';
import { z } from 'zod';
import { bytes, json, text, type Codec } from './codec.js';
import type { Connector, Delivery } from './connector.js';
import { consume } from './consume.js';
import { fromQueue, type QueueObservable } from './fromQueue.js';
import type { Message } from './message.js';
import { schemaCodec } from './schemaCodec.js';
import { ack } from './operators/ack.js';
import { handle } from './operators/handle.js';

interface Order {
  id: string;
  qty: number;
}
interface KafkaishTransport {
  readonly rawKey: Uint8Array | null;
  readonly rawHeaders: readonly (readonly [string, Uint8Array])[];
}
interface KafkaishDelivery extends Delivery {
  readonly transport: KafkaishTransport;
}
declare const jsonConnector: Connector<KafkaishDelivery>; // default codec: json (unknown bodies)
declare const textConnector: Connector<KafkaishDelivery, string>; // built with codec: text
declare const bytesConnector: Connector<Delivery, Uint8Array>;
declare const orderCodec: Codec<Order>;

describe('the body type comes from the codec', () => {
  it('fromQueue(connector, { codec }) gives the codec type', () => {
    expectTypeOf(fromQueue(jsonConnector, { codec: text })).toEqualTypeOf<QueueObservable<string, KafkaishTransport>>();
    expectTypeOf(fromQueue(textConnector, { codec: bytes })).toEqualTypeOf<
      QueueObservable<Uint8Array, KafkaishTransport>
    >();
    expectTypeOf(fromQueue(jsonConnector, { codec: orderCodec, maxInFlight: 5 })).toEqualTypeOf<
      QueueObservable<Order, KafkaishTransport>
    >();
    const Schema = z.object({ id: z.string(), qty: z.number() });
    expectTypeOf(fromQueue(jsonConnector, { codec: schemaCodec(Schema) })).toEqualTypeOf<
      QueueObservable<{ id: string; qty: number }, KafkaishTransport>
    >();
  });

  it('a schema codec gives the schema output type (zod, valibot), sync or async', () => {
    const Z = z.object({ id: z.string(), at: z.string().transform((s) => new Date(s)) });
    expectTypeOf(schemaCodec(Z)).toEqualTypeOf<Codec<{ id: string; at: Date }>>();
    const V = v.object({ sku: v.string(), qty: v.optional(v.number()) });
    fromQueue(jsonConnector, { codec: schemaCodec(V) }).subscribe((m) =>
      expectTypeOf(m.body).toEqualTypeOf<{ sku: string; qty?: number | undefined }>(),
    );
    const VAsync = v.pipeAsync(
      v.string(),
      v.checkAsync(async () => Promise.resolve(true)),
    );
    expectTypeOf(fromQueue(jsonConnector, { codec: schemaCodec(VAsync) })).toEqualTypeOf<
      QueueObservable<string, KafkaishTransport>
    >();
  });

  it('a connector built with a codec gives that codec type', () => {
    expectTypeOf(fromQueue(textConnector)).toEqualTypeOf<QueueObservable<string, KafkaishTransport>>();
    expectTypeOf(fromQueue(bytesConnector, { maxInFlight: 1 })).toEqualTypeOf<QueueObservable<Uint8Array, unknown>>();
    expectTypeOf(fromQueue(jsonConnector)).toEqualTypeOf<QueueObservable<unknown, KafkaishTransport>>();
  });

  it('the wrong type does not compile', () => {
    // @ts-expect-error text decodes strings, not orders
    fromQueue<Order>(jsonConnector, { codec: text });
    // @ts-expect-error the connector decodes strings
    fromQueue<Order>(textConnector);
    // @ts-expect-error the connector decodes bytes
    fromQueue<string>(bytesConnector, { maxInFlight: 2 });
    // @ts-expect-error json says unknown, not Order
    const typed: QueueObservable<Order> = fromQueue(jsonConnector, { codec: json });
    void typed;
    // @ts-expect-error text decodes strings
    consume<Order>(jsonConnector, () => undefined, { codec: text });
  });

  it('names the body type of a JSON connector (unknown) with a type argument, as a claim', () => {
    expectTypeOf(fromQueue<Order>(jsonConnector)).toEqualTypeOf<QueueObservable<Order, unknown>>();
    expectTypeOf(fromQueue<string>(textConnector)).toEqualTypeOf<QueueObservable<string, unknown>>();
    expectTypeOf(fromQueue<Order>(textConnector, { codec: json })).toEqualTypeOf<QueueObservable<Order, unknown>>();
    // @ts-expect-error bytes is not json: its type is fixed
    fromQueue<Order>(jsonConnector, { codec: bytes, maxInFlight: 3 });
  });

  it('Message carries the transport of the connector, and handlers of consume see both', () => {
    fromQueue(textConnector).subscribe((m) => {
      expectTypeOf(m).toEqualTypeOf<Message<string, KafkaishTransport>>();
      expectTypeOf(m.transport.rawKey).toEqualTypeOf<Uint8Array | null>();
    });
    consume(textConnector, (m) => {
      expectTypeOf(m.body).toEqualTypeOf<string>();
      expectTypeOf(m.transport).toEqualTypeOf<KafkaishTransport>();
    });
    consume(jsonConnector, (m) => expectTypeOf(m.body).toEqualTypeOf<Order>(), { codec: orderCodec });
  });

  it('handle in a pipe sees the typed message', () => {
    const Schema = z.object({ id: z.string() });
    fromQueue(jsonConnector, { codec: schemaCodec(Schema) }).pipe(
      handle(async (msg, { signal }) => {
        expectTypeOf(msg.body.id).toEqualTypeOf<string>();
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
        return Promise.resolve(msg.transport.rawKey);
      }),
      ack(),
    );
  });
});
