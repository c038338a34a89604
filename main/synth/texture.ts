// Fibroglandular texture: a random field with a power-law spectrum, P(f) ∝ 1/f^β with β ≈ 3 as
// measured on real mammograms, made by summing octaves of interpolated white noise (each finer
// octave weaker by 2^((2−β)/2)). Every octave's noise comes from its own stream, so the same field
// rendered at a coarser resolution stops earlier and keeps the same anatomy.

import { Random } from './random.ts';

/** A field sampled on a regular grid over a rectangle in millimetres. */
export class Field {
  constructor(
    readonly values: Float32Array,
    readonly width: number,
    readonly height: number,
    /** Millimetres per grid step. */
    readonly spacing: number,
    /** Position (mm) of grid point (0, 0). */
    readonly originX: number,
    readonly originY: number,
  ) {}

  /** Bilinear sample at (x, y) in millimetres; clamped at the edges. */
  sample(x: number, y: number): number {
    let gx = (x - this.originX) / this.spacing;
    let gy = (y - this.originY) / this.spacing;
    const w = this.width;
    if (gx < 0) gx = 0; else if (gx > w - 1.001) gx = w - 1.001;
    if (gy < 0) gy = 0; else if (gy > this.height - 1.001) gy = this.height - 1.001;
    const ix = gx | 0;
    const iy = gy | 0;
    const fx = gx - ix;
    const fy = gy - iy;
    const i = iy * w + ix;
    const v = this.values;
    const top = v[i]! + (v[i + 1]! - v[i]!) * fx;
    const bottom = v[i + w]! + (v[i + w + 1]! - v[i + w]!) * fx;
    return top + (bottom - top) * fy;
  }
}

export interface PowerLawOptions {
  /** Extent in millimetres. */
  x0: number; y0: number; x1: number; y1: number;
  /** Spectral exponent β. */
  beta: number;
  /** The coarsest octave's grid step (mm): structures larger than this are not random. */
  coarsest: number;
  /** The finest grid step wanted (mm); octaves stop at or above it. */
  finest: number;
  /** Stretch of the noise along x relative to y (1 = isotropic). */
  anisotropy?: number;
}

/** Upsamples `src` (w×h) by 2 with bilinear interpolation into a (2w−1)×(2h−1) grid. */
function upsample2(src: Float32Array, w: number, h: number): Float32Array<ArrayBuffer> {
  const W = 2 * w - 1;
  const H = 2 * h - 1;
  const out = new Float32Array(W * H);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const orow = 2 * y * W;
    for (let x = 0; x < w - 1; x++) {
      const a = src[row + x]!;
      out[orow + 2 * x] = a;
      out[orow + 2 * x + 1] = 0.5 * (a + src[row + x + 1]!);
    }
    out[orow + W - 1] = src[row + w - 1]!;
  }
  for (let y = 1; y < H; y += 2) {
    const up = (y - 1) * W;
    const down = (y + 1) * W;
    const o = y * W;
    for (let x = 0; x < W; x++) out[o + x] = 0.5 * (out[up + x]! + out[down + x]!);
  }
  return out;
}

export function powerLawField(rng: Random, o: PowerLawOptions): Field {
  const anisotropy = o.anisotropy ?? 1;
  const amplitudeRatio = Math.pow(2, (2 - o.beta) / 2);
  // coarsest grid: cells of `coarsest` mm (x stretched by the anisotropy)
  let spacing = o.coarsest;
  let w = Math.max(2, Math.ceil((o.x1 - o.x0) / (spacing * anisotropy)) + 1);
  let h = Math.max(2, Math.ceil((o.y1 - o.y0) / spacing) + 1);
  let values: Float32Array<ArrayBuffer> = new Float32Array(w * h);
  let amplitude = 1;
  let level = 0;
  const addNoise = () => {
    const r = rng.fork(`octave-${level}`);
    for (let i = 0; i < values.length; i++) values[i]! += amplitude * r.normal();
  };
  addNoise();
  while (spacing / 2 >= o.finest * 0.999) {
    values = upsample2(values, w, h);
    w = 2 * w - 1;
    h = 2 * h - 1;
    spacing /= 2;
    amplitude *= amplitudeRatio;
    level++;
    addNoise();
  }
  // normalise to zero mean, unit standard deviation
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < values.length; i++) { sum += values[i]!; sq += values[i]! * values[i]!; }
  const mean = sum / values.length;
  const sd = Math.sqrt(Math.max(1e-12, sq / values.length - mean * mean));
  for (let i = 0; i < values.length; i++) values[i] = (values[i]! - mean) / sd;
  // an anisotropic field is stored with x compressed: sample(x) divides x by the anisotropy
  return anisotropy === 1
    ? new Field(values, w, h, spacing, o.x0, o.y0)
    : new AnisotropicField(values, w, h, spacing, o.x0, o.y0, anisotropy);
}

class AnisotropicField extends Field {
  constructor(values: Float32Array, width: number, height: number, spacing: number, originX: number, originY: number, private readonly stretch: number) {
    super(values, width, height, spacing, originX, originY);
  }
  override sample(x: number, y: number): number {
    return super.sample(this.originX + (x - this.originX) / this.stretch, y);
  }
}
