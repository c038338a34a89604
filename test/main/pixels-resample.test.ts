// The separable resampling (main/dicom/pixels/resample.ts) against a direct computation: every output
// sample as the sum over its y taps and x taps of the weights times the mapped source values. Rows
// whose ends the table maps to 0 (air beside a breast) are left out of the averaging; the results
// must not change, whatever the row before held.
import assert from 'node:assert/strict';
import test from 'node:test';
import { axisWeights, resample } from '../../main/dicom/pixels/resample.ts';
import type { AxisWeights, ValueTable } from '../../main/dicom/pixels/resample.ts';

function direct(source: Uint16Array, width: number, xw: AxisWeights, yw: AxisWeights, values: ValueTable): Float64Array {
  const out = new Float64Array(xw.count * yw.count);
  for (let j = 0; j < yw.count; j++) {
    for (let k = 0; k < xw.count; k++) {
      let sum = 0;
      for (let ty = 0; ty < yw.taps; ty++) {
        const wy = yw.weights[j * yw.taps + ty]!;
        if (wy === 0) continue;
        const row = yw.first[j]! + ty;
        for (let tx = 0; tx < xw.taps; tx++) {
          const wx = xw.weights[k * xw.taps + tx]!;
          if (wx === 0) continue;
          sum += wy * wx * values.table[source[row * width + xw.first[k]! + tx]! - values.offset]!;
        }
      }
      out[j * xw.count + k] = sum;
    }
  }
  return out;
}

/** Stored values: air (0) at both ends of most rows, with widths changing row to row; some rows all air, one with air inside. */
function breastLike(width: number, height: number): Uint16Array {
  const values = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    if (y % 7 === 3) continue; // a row all air, after a row of tissue
    const from = (y * 5) % 11, to = width - 1 - ((y * 3) % 13);
    for (let x = from; x <= to; x++) values[y * width + x] = 100 + ((x * 31 + y * 17) % 900);
    if (y === 10) values.fill(0, y * width + 20, y * width + 26); // air inside a row is averaged as it is
  }
  return values;
}

// stored value → [0, 1], with everything up to 50 mapped to 0 (a window that clips the air)
const table = new Float32Array(1024).map((_, v) => Math.max(0, (v - 50) / 973));
const values: ValueTable = { table, offset: 0 };

test('resampling with air at the row ends equals the direct sum (reductions, enlargements, offsets, reversed writes)', () => {
  const width = 61, height = 47;
  const source = breastLike(width, height);
  const cases = [
    { scale: 1.43, offset: 0.2, outX: 40, outY: 31 },
    { scale: 2.5, offset: 0.75, outX: 23, outY: 18 },
    { scale: 0.6, offset: -0.3, outX: 90, outY: 70 },
    { scale: 1, offset: 3, outX: 50, outY: 40 },
  ];
  for (const c of cases) {
    const xw = axisWeights(c.outX, c.scale, c.offset, width);
    const yw = axisWeights(c.outY, c.scale, c.offset, height);
    const expected = direct(source, width, xw, yw, values);
    const got = resample(source, width, xw, yw, values);
    assert.equal(got.length, expected.length);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-5, `scale ${c.scale}: sample ${i} is ${got[i]}, expected ${expected[i]}`);
    // air stays exactly 0 (the rows all air feed some output rows alone at enlargements)
    for (let i = 0; i < got.length; i++) if (expected[i] === 0) assert.equal(got[i], 0);

    // written in place into a wider array, mirrored both ways, beside values that must stay
    const stride = c.outX + 7, offset = 3;
    const target = new Float32Array(stride * c.outY + offset + 5).fill(0);
    target[0] = 42;
    target[target.length - 1] = 43;
    resample(source, width, xw, yw, values, { pixels: target, offset, stride, reverseX: true, reverseY: true });
    for (let j = 0; j < c.outY; j++) {
      for (let k = 0; k < c.outX; k++) {
        assert.equal(target[offset + (c.outY - 1 - j) * stride + (c.outX - 1 - k)], got[j * c.outX + k], `mirrored sample ${k}, ${j}`);
      }
    }
    assert.equal(target[0], 42);
    assert.equal(target[target.length - 1], 43);
  }
});

test('without a table the values are averaged as they are, air included', () => {
  const width = 61, height = 47;
  const source = breastLike(width, height);
  const xw = axisWeights(30, 2, 0.5, width), yw = axisWeights(23, 2, 0.5, height);
  const identity: ValueTable = { table: new Float32Array(1024).map((_, v) => v), offset: 0 };
  const expected = direct(source, width, xw, yw, identity);
  const got = resample(source, width, xw, yw, null);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-3, `sample ${i}`);
});

/**
 * An axis's weights by their definition, input index by input index: a reduction's cell overlapping
 * each input pixel, an enlargement's two nearest, indices outside the image folded onto its edge,
 * divided by their total (added up from the first index, as the pipeline adds them).
 */
function weightsByDefinition(count: number, scale: number, offset: number, inputLength: number): { first: number[]; weights: number[][] } {
  const width = Math.abs(scale);
  const first: number[] = [], weights: number[][] = [];
  for (let k = 0; k < count; k++) {
    const centre = scale * k + offset;
    const byIndex = new Float64Array(inputLength);
    const reached = new Set<number>();
    const add = (i: number, v: number) => { const c = Math.min(inputLength - 1, Math.max(0, i)); byIndex[c] += v; reached.add(c); };
    if (width > 1) {
      for (let i = Math.floor(centre - width / 2) - 1; i <= Math.ceil(centre + width / 2) + 1; i++) {
        const overlap = Math.min(centre + width / 2, i + 0.5) - Math.max(centre - width / 2, i - 0.5);
        if (overlap > 0) add(i, overlap);
      }
    } else {
      add(Math.floor(centre), 1 - (centre - Math.floor(centre)));
      add(Math.floor(centre) + 1, centre - Math.floor(centre));
    }
    const lo = Math.min(...reached), hi = Math.max(...reached);
    let total = 0;
    for (let i = lo; i <= hi; i++) total += byIndex[i]!;
    first.push(lo);
    weights.push(Array.from(byIndex.subarray(lo, hi + 1), (v) => Math.fround(v / total)));
  }
  return { first, weights };
}

test('an axis\'s weights are their definition to the bit (reductions, enlargements, both directions, samples past either edge)', () => {
  let seed = 11;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // the pipeline's own scales (0.07 mm to 0.1 mm, to 0.2 mm, the viewer's renditions) and random ones
  const scales = [1 / 0.7, 0.1 / 0.07, 2, 1, 0.5, 4.3, -1 / 0.7, -2.5, 0.37, -0.8];
  for (let c = 0; c < 400; c++) {
    const inputLength = 1 + Math.floor(random() * 120);
    const scale = c < scales.length ? scales[c]! : (random() < 0.5 ? -1 : 1) * (random() < 0.4 ? random() : 1 + random() * 4);
    const count = 1 + Math.floor(random() * 120);
    // some samples before the first input pixel and past the last
    const offset = (random() - 0.25) * inputLength * 1.5;
    const got = axisWeights(count, scale, offset, inputLength);
    const expected = weightsByDefinition(count, scale, offset, inputLength);
    for (let k = 0; k < count; k++) {
      const label = `scale ${scale}, offset ${offset}, ${inputLength} inputs: sample ${k}`;
      assert.equal(got.first[k], expected.first[k], label);
      const taps = Array.from(got.weights.subarray(k * got.taps, (k + 1) * got.taps));
      assert.deepEqual(taps.slice(0, expected.weights[k]!.length), expected.weights[k], label);
      assert.ok(taps.slice(expected.weights[k]!.length).every((w) => w === 0), `${label}: weights past its last input`);
    }
  }
});
