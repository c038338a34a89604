// An AI thread makes a model's input with helper threads (main/ai/preprocess-bands.ts): the
// generator's images, every variant and both polarities, made in pieces shared out between this
// thread and a real helper thread, must come out the same to the bit as prepareModelInput's one
// pass; a helper that takes pieces and never makes them (stuck, or its thread dies), or one that
// cannot start, changes nothing either.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { PreprocessBands } from '../../main/ai/preprocess-bands.ts';
import { bundleWorkerEntry } from '../../main/workers/source-entry.ts';
import { ImageFile } from '../../main/dicom/pixels/image-file.ts';
import { decodeFrame, withDecodedFrame } from '../../main/dicom/pixels/decode.ts';
import { prepareModelInput } from '../../main/dicom/pixels/model-input.ts';
import type { ModelInput, ModelInputOptions } from '../../main/dicom/pixels/model-input.ts';
import { DEFAULT_DEMO_OPTIONS, planPatient } from '../../main/synth/plan.ts';
import { produceImage } from '../../main/synth/produce.ts';
import { log } from '../../main/base/log.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

const dir = tempDir('preprocess-bands');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const helperEntry = { file: () => bundleWorkerEntry(path.join(ROOT, 'main/ai/preprocess.worker.ts')) };
/** The shipped detector's pipeline (0.1 mm, chest wall left, padded to 64), a coarser one normalised, a fixed matrix that cuts the breast, and a letterbox. */
const PIPELINES: ModelInputOptions[] = [
  { chestWall: 'left', voi: 'preset', pixelSizeMm: 0.1, multipleOf: 64 },
  { chestWall: 'right', voi: 'preset', pixelSizeMm: 0.4, multipleOf: 32, normalize: { mean: 0.2, std: 0.3 } },
  { chestWall: 'left', voi: 'full-range', pixelSizeMm: 0.2, size: { width: 512, height: 640 } },
  // a letterbox: the content centred in a larger matrix, grey around it
  { chestWall: 'right', voi: 'preset', pixelSizeMm: 0.3, size: { width: 800, height: 1000 }, padding: { placement: 'centred', value: 114 / 255 } },
  // centred with air around it: the rows above the content must be zeroed too (no grey written over them)
  { chestWall: 'left', voi: 'preset', pixelSizeMm: 0.3, size: { width: 800, height: 1000 }, padding: { placement: 'centred', value: 0 } },
];

/** The generator's FOR PRESENTATION images of a few women (every variant: implants, MONOCHROME1, stored mirrored), reduced size. */
async function generatedImages(): Promise<string[]> {
  const options = { ...DEFAULT_DEMO_OPTIONS, seed: 'preprocess-bands', priors: 0, size: 'reduced' as const, variants: true };
  const files: string[] = [];
  for (const index of [0, 1, 2, 3]) {
    const patient = planPatient(options, index);
    const exam = patient.exams[0]!;
    for (const image of exam.images.filter((i) => !i.forProcessing)) files.push(path.join(dir, (await produceImage(patient, exam, image, dir)).file));
  }
  return files;
}

const sameBits = (a: ModelInput, b: ModelInput) => a.width === b.width && a.height === b.height &&
  Buffer.from(a.pixels.buffer, a.pixels.byteOffset, a.pixels.byteLength).equals(Buffer.from(b.pixels.buffer, b.pixels.byteOffset, b.pixels.byteLength));

/** Each image through `bands` (its stored values read into shared memory, as the AI thread reads them) and in one pass, compared. */
async function compareAll(bands: PreprocessBands, files: string[], label: string): Promise<number> {
  const scratch = new Uint8Array(new SharedArrayBuffer(8 << 20));
  // the model input's array kept from image to image, as the AI thread keeps it: what the last image
  // left there (here NaN) must never show through
  const kept = new Float32Array(4 << 20);
  const into = (count: number) => kept.fill(NaN).subarray(0, count);
  let compared = 0;
  for (const file of files) {
    const image = ImageFile.open(file);
    try {
      for (const options of PIPELINES) {
        const banded = await withDecodedFrame(image, 0, (pixels) => bands.prepare({ header: image.header, pixels }, { ...options, into }), scratch);
        const whole = prepareModelInput(await decodeFrame(file), options);
        assert.ok(sameBits(banded, whole), `${label}: ${path.basename(file)} at ${options.pixelSizeMm} mm not the same to the bit`);
        assert.deepEqual([banded.toStored, banded.cropStored], [whole.toStored, whole.cropStored]);
        compared++;
        // the loop turns between images, as the AI thread's does between tasks (a helper starts meanwhile)
        await yieldToLoop();
      }
    } finally {
      image.close();
    }
  }
  return compared;
}

test('an AI thread and a helper thread make the input together, sharing out its pieces: the same to the bit as one pass, for every variant; values read from a codec\'s memory are copied first', async () => {
  const files = await generatedImages();
  assert.ok(files.length >= 16);
  const bands = new PreprocessBands({ helpers: 1, entry: helperEntry, minPixels: 0 });
  try {
    let compared = 0;
    // until the helper has made pieces of both kinds (its thread starts during the first images)
    for (let round = 0; round < 5 && bands.made.byHelpers < 20; round++) compared += await compareAll(bands, files, `round ${round}`);
    assert.ok(bands.made.byHelpers >= 20, `the helper made ${bands.made.byHelpers} pieces (this thread ${bands.made.here})`);
    assert.ok(bands.made.here > 0);
    assert.equal(bands.made.madeAlone, 0);
    // stored values that are not in shared memory (a codec's output, an array of the caller's own): copied there, the same result
    const frame = await decodeFrame(files[0]!);
    assert.ok(!(frame.pixels.buffer instanceof SharedArrayBuffer));
    assert.ok(sameBits(bands.prepare(frame, PIPELINES[0]!), prepareModelInput(frame, PIPELINES[0]!)));
    assert.ok(compared >= files.length * PIPELINES.length);
  } finally {
    await bands.close();
  }
});

test('helpers that take pieces and never make them (stuck, or their thread dies): the image made on the AI thread alone, the same to the bit; a helper that cannot start: all made here', async () => {
  const files = (await generatedImages()).slice(0, 4);
  // takes two pieces of every share-out it is sent and makes neither: stuck, or its thread exits
  const writeHelper = (name: string, then: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.type !== 'run') return;
  const control = m.input.control;
  // a call that finds pieces left (the AI thread still at work: not one sent while this thread started) takes two
  if (Atomics.load(control, 0) + 2 > m.input.pieces.length / 2) return;
  Atomics.add(control, 0, 1);
  Atomics.add(control, 0, 1);
  ${then}
});
`);
    return { file: async () => file };
  };
  log.setLevel('error'); // what fails is logged as warnings: expected here
  try {
    for (const [label, entry] of [['stuck', writeHelper('stuck-helper.cjs', '')], ['dying', writeHelper('dying-helper.cjs', 'process.exit(3);')]] as const) {
      const failing = new PreprocessBands({ helpers: 1, entry, minPixels: 0, pieceWaitMs: 300 });
      try {
        for (let round = 0; round < 10 && failing.made.madeAlone < 2; round++) await compareAll(failing, files, `${label} helper, round ${round}`);
        assert.ok(failing.made.madeAlone >= 2, `${label}: the image was made alone ${failing.made.madeAlone} time(s)`);
        assert.equal(failing.made.byHelpers, 0);
      } finally {
        await failing.close();
      }
    }
    const missing = new PreprocessBands({ helpers: 1, entry: { file: async () => path.join(dir, 'no-such-helper.cjs') }, minPixels: 0 });
    // its thread's failure to start is logged as an error (kept out of the test's output, and checked)
    const logged: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: unknown) => { logged.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
      await compareAll(missing, files, 'helper that cannot start');
      assert.equal(missing.made.byHelpers, 0);
      assert.equal(missing.made.madeAlone, 0);
      assert.ok(missing.made.here > 0);
    } finally {
      process.stderr.write = write;
      await missing.close();
    }
    assert.ok(logged.some((line) => /ERROR preprocess worker/.test(line)), logged.join(''));
  } finally {
    log.setLevel('info');
  }
});

test('no helpers (one core, or a thread not given their entry): prepareModelInput itself', async () => {
  const [file] = await generatedImages();
  const alone = new PreprocessBands({ helpers: 0, entry: helperEntry, minPixels: 0 });
  const frame = await decodeFrame(file!);
  assert.ok(sameBits(alone.prepare(frame, PIPELINES[0]!), prepareModelInput(frame, PIPELINES[0]!)));
  assert.deepEqual(alone.made, { here: 0, byHelpers: 0, madeAlone: 0 });
  await alone.close();
  // outside a pool's thread nobody named the helper's entry: none
  const orphan = new PreprocessBands({ minPixels: 0 });
  orphan.prepare(frame, PIPELINES[0]!);
  assert.deepEqual(orphan.made, { here: 0, byHelpers: 0, madeAlone: 0 });
  await orphan.close();
});
