import * as v from 'valibot';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { json, text } from './codec.js';
import { DecodeError, ValidationError } from './errors.js';
import { schemaCodec } from './schemaCodec.js';

const ZOrder = z.object({
  id: z.string(),
  qty: z.number().int().positive(),
  items: z.array(z.object({ sku: z.string() })),
});
const VOrder = v.object({
  id: v.string(),
  qty: v.pipe(v.number(), v.integer(), v.minValue(1)),
  items: v.array(v.object({ sku: v.string() })),
});
const good = { id: 'o-1', qty: 2, items: [{ sku: 'a' }] };
const SECRET = 'card-4111111111111111';
const bad = { id: 'o-2', qty: SECRET, items: [{ sku: 7 }] };

/** What decode gives or throws, sync or async. */
async function outcome(run: () => unknown): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error };
  }
}

describe('schemaCodec', () => {
  for (const [vendor, schema] of [
    ['zod', ZOrder],
    ['valibot', VOrder],
  ] as const) {
    it(`${vendor}: decodes a valid body synchronously, and rejects an invalid one with paths and messages, never values`, async () => {
      const c = schemaCodec(schema);
      expect(c.name).toBe(`${vendor} schema`);
      const decoded = c.decode(JSON.stringify(good), {});
      expect(decoded).not.toBeInstanceOf(Promise);
      expect(decoded).toEqual(good);
      const { error } = await outcome(() => c.decode(JSON.stringify(bad), {}));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toBeInstanceOf(DecodeError);
      const e = error as ValidationError;
      expect(e).toMatchObject({ code: 'INVALID_BODY', retryable: false });
      expect(e.issues.map((i) => i.path).sort()).toEqual(['items.0.sku', 'qty']);
      for (const issue of e.issues) expect(issue.message.length).toBeGreaterThan(0);
      expect(e.message).toContain('qty: ');
      expect(e.message).toContain('items.0.sku: ');
      expect(e.message).not.toContain(SECRET);
      expect(JSON.stringify(e.issues)).not.toContain(SECRET);
      // A payload that is not JSON at all stays a plain decode failure.
      const notJson = await outcome(() => c.decode('{', {}));
      expect(notJson.error).toBeInstanceOf(DecodeError);
      expect(notJson.error).not.toBeInstanceOf(ValidationError);
    });
  }

  it('runs an async schema (zod refine with a Promise, valibot pipeAsync)', async () => {
    const zAsync = z
      .object({ id: z.string() })
      .refine(async (o) => Promise.resolve(o.id !== 'taken'), { message: 'id is taken', path: ['id'] });
    const vAsync = v.pipeAsync(
      v.object({ id: v.string() }),
      v.checkAsync(async (o) => Promise.resolve(o.id !== 'taken'), 'id is taken'),
    );
    for (const schema of [zAsync, vAsync]) {
      const c = schemaCodec(schema);
      const ok = c.decode('{"id":"free"}', {});
      expect(ok).toBeInstanceOf(Promise);
      expect(await ok).toEqual({ id: 'free' });
      const { error } = await outcome(() => c.decode('{"id":"taken"}', {}));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain('id is taken');
    }
  });

  it('decodes through another codec first', async () => {
    const c = schemaCodec(z.string().email(), { codec: text, name: 'email' });
    expect(c.decode('a@b.example', {})).toBe('a@b.example');
    expect((await outcome(() => c.decode('nope', {}))).error).toMatchObject({ name: 'ValidationError' });
    expect(c.encode('a@b.example')).toBe('a@b.example');
    expect(schemaCodec(ZOrder).encode(good)).toBe(json.encode(good));
  });

  it('rejects what is not a Standard Schema', () => {
    expect(() => schemaCodec({} as never)).toThrow(/Standard Schema/);
  });
});
