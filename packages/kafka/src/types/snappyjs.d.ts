declare module 'snappyjs' {
  /** Raw Snappy block compression (no framing). */
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
  /** Raw Snappy block decompression (no framing). */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
}
