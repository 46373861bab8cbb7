import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { codec, json, type DecodeContext } from './codec.js';
import type { Connector, Delivery } from './connector.js';
import { DecodeError } from './errors.js';
import { fromQueue } from './fromQueue.js';
import { silentLogger } from './logger.js';
import { collectUntil } from './testing/collect.js';

interface PropsTransport {
  readonly contentEncoding?: string;
}
interface PropsDelivery extends Delivery {
  readonly transport: PropsTransport;
}

/** A connector that delivers what it was given once, then nothing. */
function once(deliveries: PropsDelivery[]): Connector<PropsDelivery> {
  return {
    name: 'props',
    open: () =>
      Promise.resolve({
        receive: (max: number) =>
          new Promise<readonly PropsDelivery[]>((resolve) =>
            deliveries.length > 0 ? resolve(deliveries.splice(0, max)) : setTimeout(() => resolve([]), 20),
          ),
        ack: () => undefined,
        requeue: () => undefined,
        resend: () => Promise.resolve(),
        deadLetter: () => Promise.resolve(),
        close: () => Promise.resolve(),
      }),
  };
}

/** Honours `content-encoding: gzip` from the transport (AMQP's contentEncoding property). */
const gzipJson = codec<unknown>({
  name: 'gzip-json',
  decode(payload, headers, context?: DecodeContext) {
    const transport = context?.transport as PropsTransport | undefined;
    const encoding = transport?.contentEncoding ?? headers['content-encoding'];
    const bytes = encoding === 'gzip' ? gunzipSync(payload as Uint8Array) : payload;
    return json.decode(bytes, headers);
  },
});

const delivery = (id: string, payload: unknown, transport: PropsTransport): PropsDelivery => ({
  id,
  payload,
  attempt: 1,
  source: 'props',
  transport,
});

describe('a codec reads the transport beside the headers', () => {
  it('decodes gzip bodies by the transport’s content encoding, and plain ones as they are', async () => {
    const source = fromQueue(
      once([
        delivery('1', gzipSync(JSON.stringify({ n: 1 })), { contentEncoding: 'gzip' }),
        delivery('2', JSON.stringify({ n: 2 }), {}),
      ]),
      { codec: gzipJson, logger: silentLogger },
    );
    const messages = await collectUntil(source, (ms) => ms.length === 2);
    expect(messages.map((m) => m.body)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(messages[0]?.transport).toEqual({ contentEncoding: 'gzip' });
  });

  it('gets the id, source and attempt of the delivery too', () => {
    const seen: DecodeContext[] = [];
    const c = codec({
      name: 'spy',
      decode: (p, _h, context) => {
        if (context) seen.push(context);
        return p;
      },
    });
    const d = delivery('9', 'x', { contentEncoding: 'br' });
    expect(c.decode('x', {}, d)).toBe('x');
    expect(seen[0]).toMatchObject({ id: '9', source: 'props', attempt: 1, transport: { contentEncoding: 'br' } });
  });

  it('an async decode that rejects is wrapped in a DecodeError like a throw', async () => {
    const c = codec({ name: 'async', decode: () => Promise.reject(new TypeError('bad')) });
    await expect(c.decode('x', {})).rejects.toBeInstanceOf(DecodeError);
  });
});
