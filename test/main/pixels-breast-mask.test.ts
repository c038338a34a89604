// The breast mask's air level (main/dicom/pixels/breast-mask.ts): the value of a rank found through a
// histogram must be the value sorting gives, for any spread of values (ties, one value, a few
// outliers, ranks at both ends), since the crop of every model input follows from it.
import assert from 'node:assert/strict';
import test from 'node:test';
import { percentile } from '../../main/dicom/pixels/breast-mask.ts';

function bySorting(values: Float32Array, p: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

test('the percentile through a histogram is the value sorting gives', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const sets: Float32Array[] = [
    Float32Array.of(0.5),
    new Float32Array(1000).fill(0.25),
    Float32Array.from({ length: 5000 }, () => random()),
    // air and tissue: most values near 0, the rest spread, one far outlier stretching the bins
    Float32Array.from({ length: 50_000 }, (_, i) => (i % 3 === 0 ? random() * 0.8 + 0.2 : random() * 0.01)).map((v, i) => (i === 17 ? 1e6 : v)),
    // few distinct values, many ties on the rank asked for
    Float32Array.from({ length: 4096 }, () => Math.floor(random() * 4) / 4),
    // a mammogram's small image: the air at exactly 0 (a window clips it), 40 % of it, a little
    // noise just above, the breast spread: the low ranks fall in a bin of thousands of ties
    Float32Array.from({ length: 50_176 }, (_, i) => (i % 5 < 2 ? 0 : i % 5 === 2 ? random() * 1e-3 : 0.1 + random() * 0.9)),
    // values in decreasing and increasing order (a selection's worst cases)
    Float32Array.from({ length: 3000 }, (_, i) => 3000 - i),
    Float32Array.from({ length: 3000 }, (_, i) => i % 7),
  ];
  for (const values of sets) {
    for (const p of [0, 0.001, 0.01, 0.25, 0.4, 0.5, 0.99, 1]) {
      assert.equal(percentile(values, p), bySorting(values, p), `${values.length} values, p = ${p}`);
    }
  }
});
