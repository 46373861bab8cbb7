/**
 * Per-partition bookkeeping of delivered and settled offsets, for commits that never skip an
 * unsettled message.
 *
 * Offsets are added in the order the broker delivers them (increasing, with gaps where a topic is
 * compacted or holds transaction markers); they may settle in any order. {@link committable} is
 * the offset to commit: the first delivered offset not yet settled, or one past the last delivered
 * offset when all are settled. Committing it tells the group "everything below this is done".
 *
 * Offsets are JavaScript numbers: exact up to 2^53, far beyond any real partition.
 *
 * @example
 * const t = new OffsetTracker();
 * t.add(5); t.add(6); t.add(8);
 * t.settle(6); t.committable; // 5: offset 5 is still in flight
 * t.settle(5); t.committable; // 8
 * t.settle(8); t.committable; // 9
 */
export class OffsetTracker {
  private offsets: number[] = [];
  private settled: boolean[] = [];
  private head = 0;
  private last = -1;

  /** Records a delivered offset. Offsets must be added in increasing order; others are ignored. */
  add(offset: number): void {
    if (offset <= this.last) return;
    this.last = offset;
    this.offsets.push(offset);
    this.settled.push(false);
  }

  /** Marks an offset settled. Returns false when it was not delivered or already settled. */
  settle(offset: number): boolean {
    const i = this.indexOf(offset);
    if (i < 0 || this.settled[i]) return false;
    this.settled[i] = true;
    if (i === this.head) this.advance();
    return true;
  }

  /** Delivered offsets not yet settled. */
  get pending(): number {
    let n = 0;
    for (let i = this.head; i < this.offsets.length; i++) if (!this.settled[i]) n++;
    return n;
  }

  /** The offset to commit (the next one to consume), or undefined when nothing was delivered. */
  get committable(): number | undefined {
    if (this.last < 0) return undefined;
    return this.head < this.offsets.length ? this.offsets[this.head] : this.last + 1;
  }

  private advance(): void {
    while (this.head < this.offsets.length && this.settled[this.head]) this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.settled = this.settled.slice(this.head);
      this.head = 0;
    }
  }

  private indexOf(offset: number): number {
    // Offsets are usually contiguous: try the slot the offset would have without gaps first.
    const guess = this.head + offset - (this.offsets[this.head] ?? offset);
    if (guess >= this.head && guess < this.offsets.length && this.offsets[guess] === offset) return guess;
    let lo = this.head;
    let hi = this.offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.offsets[mid] as number;
      if (value === offset) return mid;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
