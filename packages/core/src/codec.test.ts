import { describe, expect, it } from 'vitest';
import { bytes, codec, identity, json, text } from './codec.js';
import { DecodeError } from './errors.js';

const decodeError = (run: () => unknown): DecodeError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError');
};
const INVALID_UTF8 = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);

describe('json', () => {
  it('decodes strings and UTF-8 bytes, and encodes to a string', () => {
    expect(json.decode('{"a":[1,"é"]}', {})).toEqual({ a: [1, 'é'] });
    expect(json.decode(new TextEncoder().encode('{"a":"é"}'), {})).toEqual({ a: 'é' });
    expect(json.decode(Buffer.from('42'), {})).toBe(42);
    expect(json.encode({ a: 1 })).toBe('{"a":1}');
  });

  it('fails an empty payload, invalid JSON and invalid UTF-8 with DecodeError, never quoting the payload', () => {
    const empty = decodeError(() => json.decode('', {}));
    expect(empty.message).toContain('empty');
    const invalid = decodeError(() => json.decode('{"password":"hunter2"', {}));
    expect(invalid).toMatchObject({ code: 'DECODE_FAILED', retryable: false });
    expect(invalid.message).toContain('not valid JSON');
    expect(invalid.message).not.toContain('hunter2');
    expect(String(invalid.cause)).not.toContain('hunter2');
    const utf8 = decodeError(() => json.decode(INVALID_UTF8, {}));
    expect(utf8.message).toContain('UTF-8');
    expect(decodeError(() => json.decode(new Uint8Array(0), {})).message).toContain('empty');
  });

  it('fails payloads that are neither strings nor bytes', () => {
    expect(decodeError(() => json.decode(null, {})).message).toContain('null');
    expect(decodeError(() => json.decode({ n: 1 }, {})).message).toContain('object');
    expect(decodeError(() => json.decode(7, {})).message).toContain('number');
  });
});

describe('text, bytes and identity', () => {
  it('text decodes UTF-8 (empty is fine) and rejects invalid bytes', () => {
    expect(text.decode('', {})).toBe('');
    expect(text.decode(new TextEncoder().encode('héllo'), {})).toBe('héllo');
    const error = decodeError(() => text.decode(INVALID_UTF8, {}));
    expect(error.message).toContain('text');
    expect(text.encode('x')).toBe('x');
  });

  it('bytes passes bytes through and encodes strings as UTF-8', () => {
    const payload = new Uint8Array([0xff, 0x00]);
    expect(bytes.decode(payload, {})).toBe(payload);
    expect([...bytes.decode('é', {})]).toEqual([0xc3, 0xa9]);
    decodeError(() => bytes.decode(12, {}));
  });

  it('identity returns the payload as it is', () => {
    const value = { any: 'thing' };
    expect(identity.decode(value, {})).toBe(value);
  });
});

describe('codec()', () => {
  it('builds a codec that passes headers to decode', () => {
    const c = codec({ name: 'upper', decode: (p, h) => `${String(p).toUpperCase()}${h['x'] ?? ''}`, encode: (b) => b });
    expect(c.name).toBe('upper');
    expect(c.decode('ab', { x: '!' })).toBe('AB!');
    expect(c.encode('z')).toBe('z');
  });

  it('wraps what decode throws in a DecodeError that keeps only the error name', () => {
    const c = codec<number>({
      name: 'strict',
      decode: (p) => {
        throw new RangeError(`bad value ${String(p)}`);
      },
    });
    const error = decodeError(() => c.decode('secret-body', {}));
    expect(error.message).toContain('strict');
    expect(error.message).toContain('RangeError');
    expect(error.message).not.toContain('secret-body');
    expect(error.cause).toBeInstanceOf(RangeError);
    const nonError = codec({
      name: 'odd',
      decode: () => {
        throw 'secret-body'; // eslint-disable-line @typescript-eslint/only-throw-error
      },
    });
    expect(decodeError(() => nonError.decode('x', {})).message).not.toContain('secret-body');
  });

  it('lets a DecodeError through as it is, and fails encode when there is none', () => {
    const own = new DecodeError('mine', 'custom reason');
    const c = codec({
      name: 'mine',
      decode: () => {
        throw own;
      },
    });
    expect(decodeError(() => c.decode('x', {}))).toBe(own);
    expect(() => c.encode(1 as never)).toThrow(DecodeError);
  });
});
