/**
 * Test helpers for the drift detectors: seeded generators (no Math.random anywhere).
 */

/**
 * mulberry32: a small seeded PRNG returning floats in [0, 1).
 *
 * @example
 * ```ts
 * const rand = mulberry32(1);
 * rand(); // deterministic
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal variates (Box–Muller) from a uniform source.
 *
 * @example
 * ```ts
 * const normal = gaussian(mulberry32(1));
 * normal();
 * ```
 */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/**
 * CPython's `random.Random` (MT19937, `init_by_array` seeding from a non-negative int < 2^32,
 * 53-bit `random()`), enough to replay the streams of river's documented examples.
 *
 * @example
 * ```ts
 * new PythonRandom(42).random(); // 0.6394267984578837, as CPython
 * ```
 */
export class PythonRandom {
  private readonly mt = new Uint32Array(624);
  private mti = 625;

  constructor(seed: number) {
    this.initByArray([seed >>> 0]);
  }

  /** Python's `random()`: a float in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.int32() >>> 5;
    const b = this.int32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Python's `choices(population, k=k)` without weights. */
  choices<T>(population: readonly T[], k: number): T[] {
    const out: T[] = [];
    for (let i = 0; i < k; i++) out.push(population[Math.floor(this.random() * population.length)] as T);
    return out;
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = (mt[i - 1] as number) ^ ((mt[i - 1] as number) >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = 624;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = (mt[i - 1] as number) ^ ((mt[i - 1] as number) >>> 30);
      mt[i] = (((mt[i] as number) ^ Math.imul(prev, 1664525)) + (key[j] as number) + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623] as number;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = (mt[i - 1] as number) ^ ((mt[i - 1] as number) >>> 30);
      mt[i] = (((mt[i] as number) ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623] as number;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private int32(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let kk = 0; kk < 624; kk++) {
        const y = ((mt[kk] as number) & 0x80000000) | ((mt[(kk + 1) % 624] as number) & 0x7fffffff);
        mt[kk] = (mt[(kk + 397) % 624] as number) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/**
 * The two-distribution stream of river's PageHinkley / ADWIN docstring examples:
 * `rng = random.Random(12345); rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)`.
 *
 * @example
 * ```ts
 * riverExampleStream().length; // 2000
 * ```
 */
export function riverExampleStream(): number[] {
  const rng = new PythonRandom(12345);
  return [...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000)];
}

/**
 * Index of the first `true` returned by `update` over `xs` (−1 when none).
 *
 * @example
 * ```ts
 * firstDetection([1, 2, 3], (x) => x > 1); // 1
 * ```
 */
export function firstDetection(xs: readonly number[], update: (x: number) => boolean): number {
  for (let i = 0; i < xs.length; i++) if (update(xs[i] as number)) return i;
  return -1;
}
