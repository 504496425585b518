/**
 * Seeded pseudo-random numbers for the optimizer: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32. Every random choice of the optimizer flows through one of these generators, so a run is
 * a pure function of its seed; the 128-bit state is serialisable (`state()` / `Prng.fromState`).
 */

/** The serialisable state of a {@link Prng}: four unsigned 32-bit words. */
export type PrngState = readonly [number, number, number, number];

const TWO_POW_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** splitmix32 step: returns the next mixed value for `seed` (used to expand a seed into a state). */
function splitmix32(seed: number): number {
  let z = seed | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Hashes any finite number (and optional extra integers) into one unsigned 32-bit seed. Used to derive
 * independent generators (e.g. one for the initial design, one per `explain()` call) from a user seed.
 */
export function mixSeed(seed: number, ...salt: number[]): number {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number (got ${seed})`);
  const t = Math.trunc(seed);
  let h = splitmix32((t >>> 0) ^ 0x9e3779b9);
  h = splitmix32(h ^ (Math.floor(t / TWO_POW_32) >>> 0) ^ 0x7f4a7c15);
  for (const s of salt) h = splitmix32(h ^ (Math.trunc(s) >>> 0) ^ 0x632be5ab);
  return h;
}

/** A deterministic xoshiro128** generator. Not cryptographic. */
export class Prng {
  /** The four state words (as int32; `state()` reports them unsigned). A typed array avoids boxing. */
  private readonly s = new Int32Array(4);

  /** Creates a generator from a numeric seed (any finite number; non-integers are truncated). */
  constructor(seed: number) {
    let x = mixSeed(seed);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      this.s[i] = splitmix32(x);
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** Restores a generator from a state returned by {@link Prng.state}. */
  static fromState(state: PrngState): Prng {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_POW_32)
    )
      throw new Error('PRNG state must be four unsigned 32-bit integers');
    if (state.every((w) => w === 0)) throw new Error('PRNG state must not be all zero');
    const p = new Prng(0);
    for (let i = 0; i < 4; i++) p.s[i] = state[i] as number;
    return p;
  }

  /** The current state (a copy); `Prng.fromState(p.state())` continues the same sequence. */
  state(): PrngState {
    const s = this.s;
    return [(s[0] as number) >>> 0, (s[1] as number) >>> 0, (s[2] as number) >>> 0, (s[3] as number) >>> 0];
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let s2 = (s[2] as number) ^ s0;
    let s3 = (s[3] as number) ^ s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s[2] = s2;
    s[3] = s3;
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (multiply-shift; bias below 2^-32·n, negligible here). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal variate (Box–Muller, one uniform pair per call). */
  normal(): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle of `arr` in place; returns `arr`. */
  shuffle<T extends { length: number; [i: number]: number }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i] as number;
      arr[i] = arr[j] as number;
      arr[j] = tmp;
    }
    return arr;
  }
}
