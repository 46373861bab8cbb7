import { UnsupportedError } from '@rxq/core';
import { decompress as zstdDecompress } from 'fzstd';
import kafkajs from 'kafkajs';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappyjs';

/** What kafkajs asks of a compression codec (`CompressionCodecs[type]()`). */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** snappy-java's stream header (`SnappyOutputStream`, used by the Java producer): magic, version, compat. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

/**
 * A codec failure as an error kafkajs does not retry and rxq reports as `UNSUPPORTED`. It has no
 * `cause`: kafkajs wraps errors with `cause: e.cause || e`, which would skip it; the codec's own
 * error is summarised in the message (a library's text, never record bytes).
 */
function failure(codec: string, error: unknown): UnsupportedError {
  const why = error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
  const e = new UnsupportedError(
    `Kafka ${codec} decompression failed: the batch uses a form of ${codec} this client cannot read (${why})`,
  );
  // kafkajs' retrier reads `retriable`: fail at once instead of fetching the same batch again.
  Object.defineProperty(e, 'retriable', { value: false });
  return e;
}

/**
 * Snappy as Kafka producers write it: the Java client frames blocks the snappy-java way (a 16-byte
 * header, then length-prefixed raw blocks); other clients (librdkafka, kafkajs-snappy) may write
 * one raw block. Both are read.
 */
export function snappyDecompress(buffer: Buffer): Buffer {
  if (buffer.length < XERIAL_HEADER || !buffer.subarray(0, 8).equals(XERIAL_MAGIC))
    return Buffer.from(snappyUncompress(buffer));
  const parts: Buffer[] = [];
  let at = XERIAL_HEADER;
  while (at + 4 <= buffer.length) {
    const size = buffer.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > buffer.length) throw new RangeError('truncated snappy-java block');
    parts.push(Buffer.from(snappyUncompress(buffer.subarray(at, at + size))));
    at += size;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

const codec = (
  name: string,
  compress: (input: Buffer) => Buffer,
  decompress: (input: Buffer) => Buffer | Uint8Array,
): (() => KafkajsCodec) => {
  const instance: KafkajsCodec = {
    compress: (encoder) => Promise.resolve(compress(encoder.buffer)),
    decompress(buffer) {
      try {
        const out = decompress(buffer);
        return Promise.resolve(Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength));
      } catch (error) {
        return Promise.reject(failure(name, error));
      }
    },
  };
  return () => instance;
};

const noZstdCompression = (): Buffer => {
  throw new UnsupportedError(
    'Producing zstd-compressed batches is not supported by @rxq/kafka (zstd is read only); use gzip, snappy or lz4',
  );
};

// kafkajs is CommonJS: these two are not visible to ESM as named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;
let installed = false;

/**
 * Teaches kafkajs (which has only gzip) to read snappy (snappyjs, pure JS), lz4 (lz4-napi, the
 * LZ4 frame format Kafka uses) and zstd (fzstd, pure JS, decompression only) batches, and to write
 * snappy and lz4. kafkajs keeps its codecs in one process-wide table: installing is idempotent, and
 * codecs an application registered itself are kept.
 */
export function installCompressionCodecs(): void {
  if (installed) return;
  installed = true;
  const table = CompressionCodecs as unknown as Record<number, () => unknown>;
  const add = (type: number, make: () => KafkajsCodec): void => {
    const current = table[type];
    let works = false;
    try {
      works = current !== undefined && current() !== undefined;
    } catch {
      works = false; // kafkajs' placeholder throws "… compression not implemented"
    }
    if (!works) table[type] = make;
  };
  add(
    CompressionTypes.Snappy,
    codec('snappy', (b) => Buffer.from(snappyCompress(b)), snappyDecompress),
  );
  add(
    CompressionTypes.LZ4,
    codec('lz4', (b) => compressFrameSync(b), decompressFrameSync),
  );
  add(CompressionTypes.ZSTD, codec('zstd', noZstdCompression, zstdDecompress));
}

/** A codec entry of `@platformatic/kafka`'s compression table (the part rxq replaces). */
interface PlatformaticCodec {
  decompressSync(data: unknown): Buffer;
  available?: boolean;
}

/**
 * Reads every codec a Kafka producer may use through `@platformatic/kafka` (its table, passed
 * in): snappy in both forms (raw and the snappy-java framing Kafka's Java producer writes), lz4
 * frames, and zstd where Node's zlib has none (fzstd). A batch that does not decompress is an
 * {@link UnsupportedError} that names the codec, never a fetch retried forever.
 */
export function installPlatformaticCodecs(table: Record<string, PlatformaticCodec | undefined>): void {
  const bytes = (data: unknown): Buffer =>
    Buffer.isBuffer(data) ? data : ((data as { buffer: Buffer }).buffer ?? Buffer.from(data as Uint8Array));
  const replace = (name: string, decompress: (input: Buffer) => Buffer | Uint8Array): void => {
    const entry = table[name];
    if (!entry) return;
    entry.decompressSync = (data) => {
      try {
        const out = decompress(bytes(data));
        return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      } catch (error) {
        throw failure(name, error);
      }
    };
  };
  replace('snappy', snappyDecompress);
  replace('lz4', decompressFrameSync);
  const zstd = table.zstd;
  if (zstd && !zstd.available) replace('zstd', zstdDecompress);
}
