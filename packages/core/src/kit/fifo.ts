/**
 * A first-in, first-out queue on an array: `push` and `shift` in O(1), amortized. A taken item is
 * let go at once (its slot is cleared, and the array is compacted as the head moves on), so a
 * queue that never runs empty under steady load neither grows nor keeps finished items alive,
 * and the garbage collector can reclaim them while they are still young.
 *
 * For connector authors (a session's buffer of fetched records) and for rxq's own operators.
 *
 * @example
 * const q = new Fifo<string>();
 * q.push('a'); q.push('b');
 * q.shift(); // 'a'
 * q.size; // 1
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** How many items are queued. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Takes the oldest item, or returns undefined when the queue is empty. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Drops every queued item. */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }
}
