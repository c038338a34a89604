// The spectral exponent β of an image patch: the slope of its radially averaged power spectrum,
// P(f) ∝ 1/f^β, fitted on a log–log scale over a frequency band (2-D FFT with fft.js).
import FFT from 'fft.js';

export function spectralExponent(patch: Float64Array | Float32Array, n: number, spacingMm: number, band: [number, number]): number {
  // remove the mean and apply a Hann window to limit edge leakage
  let mean = 0;
  for (let i = 0; i < n * n; i++) mean += patch[i]!;
  mean /= n * n;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const w = (0.5 - 0.5 * Math.cos((2 * Math.PI * x) / (n - 1))) * (0.5 - 0.5 * Math.cos((2 * Math.PI * y) / (n - 1)));
    re[y * n + x] = (patch[y * n + x]! - mean) * w;
  }
  const fft = new FFT(n);
  const input = fft.createComplexArray() as number[];
  const output = fft.createComplexArray() as number[];
  const pass = (getRe: (k: number) => number, getIm: (k: number) => number, setRe: (k: number, v: number) => void, setIm: (k: number, v: number) => void) => {
    for (let k = 0; k < n; k++) { input[2 * k] = getRe(k); input[2 * k + 1] = getIm(k); }
    fft.transform(output, input);
    for (let k = 0; k < n; k++) { setRe(k, output[2 * k]!); setIm(k, output[2 * k + 1]!); }
  };
  for (let y = 0; y < n; y++) pass((k) => re[y * n + k]!, (k) => im[y * n + k]!, (k, v) => (re[y * n + k] = v), (k, v) => (im[y * n + k] = v));
  for (let x = 0; x < n; x++) pass((k) => re[k * n + x]!, (k) => im[k * n + x]!, (k, v) => (re[k * n + x] = v), (k, v) => (im[k * n + x] = v));
  // radial average in frequency bins
  const bins = new Float64Array(n);
  const counts = new Float64Array(n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const fy = y < n / 2 ? y : y - n;
    const fx = x < n / 2 ? x : x - n;
    const r = Math.round(Math.hypot(fx, fy));
    if (r < n / 2) { bins[r]! += re[y * n + x]! ** 2 + im[y * n + x]! ** 2; counts[r]!++; }
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (let r = 1; r < n / 2; r++) {
    const f = r / (n * spacingMm); // cycles per mm
    if (f < band[0] || f > band[1] || !counts[r]) continue;
    xs.push(Math.log(f));
    ys.push(Math.log(bins[r]! / counts[r]!));
  }
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return -num / den;
}
