import { UnsupportedError } from '@rxq/core';
import kafkajs from 'kafkajs';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { installCompressionCodecs, snappyDecompress } from './compression.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
type Codec = { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
const codecOf = (type: number): Codec =>
  (CompressionCodecs as unknown as Record<number, () => Codec>)[type]?.() as Codec;

describe('compression codecs registered in kafkajs', () => {
  installCompressionCodecs();
  const text = Buffer.from(JSON.stringify({ records: Array.from({ length: 200 }, (_, i) => ({ i })) }));

  it('round-trips snappy and lz4 through kafkajs’ codec table', async () => {
    for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.GZIP]) {
      const codec = codecOf(type);
      const packed = await codec.compress({ buffer: text });
      expect(packed.length).toBeLessThan(text.length);
      expect((await codec.decompress(packed)).equals(text)).toBe(true);
    }
  });

  it('reads snappy-java framing (the Java producer) as well as one raw block', () => {
    const half = text.length >> 1;
    const block = (b: Buffer): Buffer => {
      const c = Buffer.from(compress(b));
      const len = Buffer.alloc(4);
      len.writeInt32BE(c.length);
      return Buffer.concat([len, c]);
    };
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const framed = Buffer.concat([header, block(text.subarray(0, half)), block(text.subarray(half))]);
    expect(snappyDecompress(framed).equals(text)).toBe(true);
    expect(snappyDecompress(Buffer.from(compress(text))).equals(text)).toBe(true);
  });

  it('a batch a codec cannot read is an UnsupportedError naming the codec, never retried by kafkajs', async () => {
    for (const [type, name] of [
      [CompressionTypes.LZ4, 'lz4'],
      [CompressionTypes.ZSTD, 'zstd'],
      [CompressionTypes.Snappy, 'snappy'],
    ] as const) {
      const error: unknown = await codecOf(type)
        .decompress(Buffer.from('definitely not compressed'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect((error as Error).message).toContain(name);
      expect((error as { retriable?: boolean }).retriable).toBe(false);
    }
  });

  it('producing zstd is refused by name (read only)', async () => {
    await expect((async () => codecOf(CompressionTypes.ZSTD).compress({ buffer: text }))()).rejects.toThrow(/zstd/);
  });
});
