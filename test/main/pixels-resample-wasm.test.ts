// The resampling's WebAssembly kernel (main/dicom/pixels/wasm/resample-kernel.as.ts) against the
// JavaScript it stands in for (resampleInJs): the same output to the bit, on tables with air at the
// row ends, reductions and enlargements (2, 3, 4 and more taps), offsets, reversed writes into a
// wider output, signed and unsigned values, chunks of any length, and a full-size mammogram made
// into the AI's input. And the committed bytes are what the AssemblyScript source builds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import { decodeFrame } from '../../main/dicom/pixels/decode.ts';
import { planModelInput } from '../../main/dicom/pixels/model-input.ts';
import { axisWeights, resampleInJs, resampleInWasm, wasmKernel } from '../../main/dicom/pixels/resample.ts';
import type { ValueTable } from '../../main/dicom/pixels/resample.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

// A runtime without WebAssembly SIMD is the only reason to skip: where it has SIMD, the kernel must load
// (a bad committed module made wasmKernel() null and every caller quietly slower)
const SIMD_PROBE = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const SKIP_NO_SIMD = WebAssembly.validate(SIMD_PROBE) ? false : 'this runtime has no WebAssembly SIMD';
const kernel = wasmKernel();

test('the kernel loads where WebAssembly SIMD is there', { skip: SKIP_NO_SIMD }, () => {
  assert.ok(kernel, 'wasmKernel() gave null: see the warning logged');
});

/** The same floats, bit for bit (NaN included), or the first place they differ. */
function sameBits(got: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(got.length, expected.length, what);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length), b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${what}: sample ${i} is ${got[i]} in WebAssembly, ${expected[i]} in JavaScript`);
}

/** Values with air at both ends of most rows (widths changing row to row), rows all air, air inside a row, from a seed. */
function breastLike(width: number, height: number, seed: number, signed: boolean): Uint16Array | Int16Array {
  const values = signed ? new Int16Array(width * height).fill(-1000) : new Uint16Array(width * height);
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let y = 0; y < height; y++) {
    if (next() < 0.1) continue;
    const from = Math.floor(next() * width * 0.3), to = width - 1 - Math.floor(next() * width * 0.3);
    for (let x = from; x <= to; x++) values[y * width + x] = (signed ? -900 : 100) + Math.floor(next() * 3000);
    if (next() < 0.1) values.fill(signed ? -1000 : 0, y * width + from + 3, y * width + from + 8);
  }
  return values;
}

test('the committed WebAssembly is what its AssemblyScript source builds', () => {
  const check = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});

test('WebAssembly and JavaScript resample to the same bits: taps 2 to 5, offsets, reversed, into a wider output, signed and unsigned', { skip: SKIP_NO_SIMD }, () => {
  let cases = 0;
  for (const signed of [false, true]) {
    // value → [0, 1], everything up to a level mapped to 0 (a window that clips the air)
    const offset = signed ? -1000 : 0;
    const table = new Float32Array(4200).map((_, i) => Math.max(0, (i + offset - (signed ? -950 : 50)) / 3137.3));
    const values: ValueTable = { table, offset };
    for (const [width, height, seed] of [[61, 47, 1], [203, 150, 2], [1000, 90, 3]] as const) {
      const source = breastLike(width, height, seed, signed);
      for (const scale of [0.37, 0.6, 1, 1.43, 2.5, 3.7]) {
        for (const shift of [-0.3, 0.2, 3]) {
          const outX = Math.max(1, Math.floor(width / scale) - 2), outY = Math.max(1, Math.floor(height / scale) - 1);
          const xw = axisWeights(outX, scale, shift, width), yw = axisWeights(outY, scale * 1.01, shift, height);
          for (const [reverseX, reverseY] of [[false, false], [true, true], [true, false]] as const) {
            // written into a wider output, at an offset (as the model's input is, beside its padding)
            const stride = outX + 7, made = () => ({ pixels: new Float32Array(stride * outY + 5), offset: 5, stride, reverseX, reverseY });
            const js = resampleInJs(source, width, xw, yw, values, made());
            const wasm = resampleInWasm(kernel!, source, width, xw, yw, values, made());
            sameBits(wasm, js, `${signed ? 'signed' : 'unsigned'} ${width}×${height}, scale ${scale}, shift ${shift}, reversed ${reverseX}/${reverseY}`);
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 324);
  // it writes rows whole where the JavaScript adds: a target whose rows overlap is refused, not summed differently
  const xw = axisWeights(10, 1, 0, 12), yw = axisWeights(4, 1, 0, 4);
  assert.throws(() => resampleInWasm(kernel!, new Uint16Array(48), 12, xw, yw, { table: new Float32Array(4), offset: 0 }, { pixels: new Float32Array(40), offset: 0, stride: 8, reverseX: false, reverseY: false }), /does not fit a stride of 8/);
});

test('a full-size mammogram made into the AI\'s input (0.07 → 0.1 mm, mirrored): WebAssembly and JavaScript give the same bits', { skip: SKIP_NO_SIMD, timeout: 120_000 }, async () => {
  const out = tempDir('resample-wasm');
  const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: 1, priors: 0, size: 'full', variants: false, seed: 'resample-wasm' }, out, { workers: 1 });
  for (const view of ['RCC', 'LMLO']) {
    const frame = await decodeFrame(demo.dicomFiles.find((f) => f.endsWith(`${view}.dcm`))!);
    // the chest wall on the side the image does not have it: the output written mirrored
    const { input, fill } = planModelInput(frame, { chestWall: view.startsWith('R') ? 'right' : 'left', pixelSizeMm: 0.1 });
    assert.equal(fill.xw.taps, 3);
    const made = () => ({ ...fill.target, pixels: new Float32Array(input.width * input.height) });
    const js = resampleInJs(frame.pixels, frame.header.columns, fill.xw, fill.yw, fill.lut, made());
    const wasm = resampleInWasm(kernel!, frame.pixels as Uint16Array, frame.header.columns, fill.xw, fill.yw, fill.lut, made());
    assert.ok(js.some((v) => v > 0.2), 'the breast is there');
    sameBits(wasm, js, view);
  }
});
