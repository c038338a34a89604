// Deterministic randomness for the generator: every stream is derived from the seed and a label
// (e.g. "patient 3 / breast R / texture"), so adding a draw in one place never changes another.

/** 32-bit string hash (xmur3 finaliser). */
export function hash32(text: string): number {
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return (h ^= h >>> 16) >>> 0;
}

/** 4 096 standard-normal quantiles: a table lookup is far cheaper than Box–Muller per pixel. */
const NORMAL_TABLE = (() => {
  const n = 4096;
  const t = new Float32Array(n);
  // inverse error function by Acklam's rational approximation of the normal quantile
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  for (let i = 0; i < n; i++) {
    const p = (i + 0.5) / n;
    let x: number;
    if (p < 0.02425) {
      const q = Math.sqrt(-2 * Math.log(p));
      x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    } else if (p > 1 - 0.02425) {
      const q = Math.sqrt(-2 * Math.log(1 - p));
      x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    } else {
      const q = p - 0.5;
      const r = q * q;
      x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
    }
    t[i] = x;
  }
  return t;
})();

/** A small fast PRNG (sfc32) with the helpers the generator needs. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: string) {
    this.a = hash32(seed + '#a');
    this.b = hash32(seed + '#b');
    this.c = hash32(seed + '#c');
    this.d = hash32(seed + '#d');
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** An independent stream for a named part. */
  fork(label: string): Random {
    return new Random(`${this.seed}/${label}`);
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (table quantile: 4 096 levels, plenty for image noise and shapes). */
  normal(): number {
    return NORMAL_TABLE[this.uint32() >>> 20]!;
  }
}
