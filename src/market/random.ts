/**
 * A small seeded random number generator (sfc32, seeded from a string hash), so the simulator gives
 * the same market on every machine and Node version. Not for anything secret.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Marsaglia polar; each accepted pair gives two normals, the second kept for the next call). */
  normal(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
}

/** cyrb128: four 32-bit words from a string. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/**
 * sfc32 with the spare normal of the polar method. The state lives in an Int32Array: 32-bit values
 * in object fields would not fit V8's small integers and be boxed on every step.
 */
class Sfc32 implements Rng {
  private readonly s: Int32Array;
  private spare = Number.NaN;

  constructor(words: [number, number, number, number]) {
    this.s = Int32Array.from(words);
    // The first outputs of a freshly hashed state are less well mixed.
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const s = this.s;
    const a = s[0] ?? 0;
    const b = s[1] ?? 0;
    const c = s[2] ?? 0;
    const d = s[3] ?? 0;
    const d1 = (d + 1) | 0;
    const t = (((a + b) | 0) + d1) | 0;
    s[3] = d1;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  normal(): number {
    if (this.spare === this.spare) {
      const z = this.spare;
      this.spare = Number.NaN;
      return z;
    }
    // Marsaglia's polar method: no sine or cosine, one logarithm per pair.
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
}

/**
 * A generator whose whole stream is fixed by `seed`.
 *
 * @example createRng('1:bitcoin').next() // the same number on every run
 */
export function createRng(seed: string): Rng {
  return new Sfc32(hash128(seed));
}
