// The look for bits above Bits Stored (main/dicom/pixels/stored-bits.ts): in WebAssembly where the
// values lie in a frame memory, in JavaScript elsewhere; both must say what a plain loop says, for
// every length, offset and mask, wherever the one stray bit lies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyBitsOutside, frameMemory } from '../../main/dicom/pixels/stored-bits.ts';

const reference = (values: Uint16Array, mask: number) => values.some((v) => (v & ~mask) !== 0);

test('a frame memory is shared memory the kernel looks at, and it says what a plain loop says, for any length, offset, mask and stray bit', () => {
  const frame = frameMemory(1 << 16);
  assert.ok(frame.buffer instanceof SharedArrayBuffer, 'shared with the preprocessing helpers');
  const plain = new Uint8Array(1 << 16);
  let checked = 0;
  for (const bytes of [frame, plain]) {
    for (const offset of [0, 2, 4, 6, 14, 16, 18, 62, 64]) {
      for (const count of [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1001]) {
        for (const mask of [0xff, 0xfff, 0x3fff, 0x7fff, 0xffff]) {
          const values = new Uint16Array(bytes.buffer, offset, count);
          for (let i = 0; i < count; i++) values[i] = (i * 2654435761) & mask;
          assert.equal(anyBitsOutside(values, mask), false, `clean: offset ${offset}, ${count} values, mask ${mask.toString(16)}`);
          // one stray bit, at each place the kernel reads differently (vectors of four, of one, the values after them)
          for (const at of new Set([0, count - 1, (count >>> 3) << 3, ((count >>> 5) << 5) - 1, count >>> 1].filter((i) => i >= 0 && i < count))) {
            const kept = values[at]!;
            for (const bit of [0x8000, 0x1000, 0x0100]) {
              values[at] = kept | bit;
              assert.equal(anyBitsOutside(values, mask), reference(values, mask), `offset ${offset}, ${count} values, mask ${mask.toString(16)}, bit ${bit.toString(16)} at ${at}`);
              checked++;
            }
            values[at] = kept;
          }
          // a value just past the end is not looked at
          if (offset + 2 * count + 2 <= bytes.length) {
            const after = new Uint16Array(bytes.buffer, offset + 2 * count, 1);
            after[0] = 0xffff;
            assert.equal(anyBitsOutside(values, mask), false, `past the end: offset ${offset}, ${count} values`);
            after[0] = 0;
          }
        }
      }
    }
  }
  assert.ok(checked > 2000, String(checked));
});

test('a full-size frame with one stray bit near its end is found in a frame memory', () => {
  const n = 3328 * 2560;
  const frame = frameMemory(2 * n);
  const values = new Uint16Array(frame.buffer, 0, n);
  for (let i = 0; i < n; i++) values[i] = i & 0xfff;
  assert.equal(anyBitsOutside(values, 0xfff), false);
  values[n - 3] |= 0x4000;
  assert.equal(anyBitsOutside(values, 0xfff), true);
});
