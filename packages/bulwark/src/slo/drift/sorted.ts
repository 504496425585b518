/**
 * A sorted multiset of finite numbers backed by one array: binary search, O(n) insert and remove
 * (a memmove), O(1) order statistics. Used for the sliding windows of the KS test and the robust
 * baselines, where n is a few hundred.
 *
 * @example
 * ```ts
 * const s = new SortedMultiset([3, 1, 2]);
 * s.add(2);
 * s.median(); // 2
 * s.remove(1);
 * s.toArray(); // [2, 2, 3]
 * ```
 */
export class SortedMultiset {
  private readonly values: number[] = [];

  constructor(initial: Iterable<number> = []) {
    for (const v of initial) this.add(v);
  }

  /** Number of stored values (with multiplicity). */
  get size(): number {
    return this.values.length;
  }

  /** Inserts `v` keeping the order. */
  add(v: number): void {
    this.values.splice(this.lowerBound(v), 0, v);
  }

  /** Removes one occurrence of `v`; false when absent. */
  remove(v: number): boolean {
    const i = this.lowerBound(v);
    if (i < this.values.length && this.values[i] === v) {
      this.values.splice(i, 1);
      return true;
    }
    return false;
  }

  /** Removes everything. */
  clear(): void {
    this.values.length = 0;
  }

  /** The i-th smallest value (0-based). */
  at(i: number): number {
    const v = this.values[i];
    if (v === undefined) throw new RangeError(`index ${i} out of range (size ${this.values.length})`);
    return v;
  }

  /** Quantile with linear interpolation between order statistics (Hyndman–Fan type 7); NaN when empty. */
  quantile(p: number): number {
    const n = this.values.length;
    if (n === 0) return Number.NaN;
    const h = (n - 1) * Math.min(1, Math.max(0, p));
    const lo = Math.floor(h);
    const a = this.values[lo] as number;
    const b = this.values[Math.min(n - 1, lo + 1)] as number;
    return a + (h - lo) * (b - a);
  }

  /** The median; NaN when empty. */
  median(): number {
    return this.quantile(0.5);
  }

  /** The sorted values (a live read-only view: do not keep it across updates). */
  toArray(): readonly number[] {
    return this.values;
  }

  private lowerBound(v: number): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.values[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
