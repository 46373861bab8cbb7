import { InvalidOptionError } from '@rxq/core';

/**
 * The CRC16 (XMODEM) of Redis Cluster's key hashing, table-driven: `slot = crc16(tag) % 16384`.
 */
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let b = 0; b < 8; b++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
  TABLE[i] = c & 0xffff;
}

/**
 * The part of a key Redis Cluster hashes: what is between the first `{` and the first `}` after it
 * when that is not empty (the hash tag), else the whole key.
 */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

/** The cluster slot (0–16383) of a key, as Redis computes it (on the key's UTF-8 bytes). */
export function keySlot(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(hashTag(key)))
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc % 16384;
}

/**
 * Where a queue's (or a stream's) own keys live: every key rxq makes for it is `<stem>:<suffix>`
 * (`:processing:<id>`, `:consumers`, `:consumers:<id>`, `:delayed`, `:dead`).
 *
 * On a standalone server, and on a cluster when the name already holds a hash tag (`{orders}`,
 * `jobs{eu}`), the stem is the name itself: the layout of rxq's earlier versions, unchanged. On a
 * cluster, a name without a hash tag (`orders`) gets the stem `{orders}`: `{orders}:delayed` hashes
 * `orders`, as the queue key `orders` itself does, so every key of the queue lives in one slot
 * while producers keep pushing to `orders`. A name whose braces would make the stem hash elsewhere
 * (`a}b`, `a{}b`) cannot be laid out in one slot and is refused, naming `option`.
 */
export function keyStem(name: string, cluster: boolean, option: string): string {
  if (!cluster) return name;
  const stem = hashTag(name) === name ? `{${name}}` : name;
  if (keySlot(`${stem}:x`) !== keySlot(name))
    throw new InvalidOptionError(
      option,
      'on a Redis Cluster, a name with a hash tag (`{orders}`, `jobs{eu}`) or without braces, so that its keys share one slot',
      name,
    );
  return stem;
}

/**
 * Throws {@link InvalidOptionError} naming `option` unless `key` is in the slot of `name` (on a
 * cluster, a key a script writes beside the queue's own keys, such as `deadLetterKey`).
 */
export function sameSlot(option: string, key: string, name: string, stem: string): void {
  if (keySlot(key) !== keySlot(name))
    throw new InvalidOptionError(
      option,
      `on a Redis Cluster, a key in the slot of \`${name}\` (with its hash tag, e.g. \`${stem}:dead\`), which rxq's scripts write together`,
      key,
    );
}
