// A model that gives boxes instead of heatmaps (as a vendor's detector with its own post-processing
// does) drops in through the contract: its rows are read in input pixel edges and land on the stored
// image through the pipeline's inverse, for an image stored display-ready and one stored mirrored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeImage, pipelineOptions } from '../../main/ai/image-analysis.ts';
import { checkModelFolder } from '../../main/ai/model-package.ts';
import { brightestBoxModel, brokenOutputModel, cutHeatmapModel, fixedBoxesModel, fixtureManifest, manyBoxesModel, reshapeFailsModel, tinyDetectorModel, torchvisionDetectorModel, yoloHeadModel } from '../helpers/onnx-models.ts';
import { openSession } from '../../main/ai/execution-provider.ts';
import { writeTestImage } from '../helpers/pixel-files.ts';
import { tempDir } from '../helpers/paths.ts';
import { modelManifestSchema } from '../../common/ai/model-manifest.ts';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import { describeModelProblem } from '../../common/ai/model-problems.ts';
import { createHash } from 'node:crypto';
import { failureReason } from '../../renderer/ai/ai-state.ts';
import { translate } from '../../common/i18n/messages.ts';

const translatorFor = (locale: 'en' | 'fr') => (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) => translate(locale, key, params);

/** A right CC, chest wall on the right edge as displayed, one bright pixel at `mark` (display coordinates). */
function writeRightCc(file: string, mark: [number, number], mirrored: boolean, [W, H]: [number, number] = [160, 200], others: [number, number][] = []): [number, number] {
  const pixels = new Uint16Array(W * H);
  const stored = (x: number) => (mirrored ? W - 1 - x : x);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const inside = ((x - (W - 1)) / (0.8 * W)) ** 2 + ((y - H / 2) / (0.42 * H)) ** 2 < 1;
    pixels[y * W + stored(x)] = inside ? 1500 + ((x * 7 + y * 13) % 40) : 100;
  }
  for (const [x, y] of [mark, ...others]) pixels[y * W + stored(x)] = 4000;
  writeTestImage(file, {
    rows: H, columns: W, bitsAllocated: 16, bitsStored: 12, pixels,
    attributes: { ImageLaterality: 'R', ViewPosition: 'CC', PatientOrientation: [mirrored ? 'A' : 'P', 'L'], ImagerPixelSpacing: [0.2, 0.2], WindowCenter: [2048], WindowWidth: [4096] },
  });
  return [stored(mark[0]), mark[1]];
}

/** The brightest-box model (or the darkest-last one, in a fixed 512 × 512 input), checked and opened. */
async function brightestBoxDetector(dir: string, options: Parameters<typeof brightestBoxModel>[0] & { change?: (m: ModelManifest) => void; unchecked?: boolean } = {}) {
  const folder = path.join(dir, `boxes-${options.classIndex ?? 0}-${options.insideOut ? 'inside-out' : 'box'}-${options.channel ?? 'grey'}`);
  fs.mkdirSync(folder);
  const bytes = brightestBoxModel(options);
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.brightest-box', spacingMm: 0.2 }, (m) => {
    delete m.output.heatmap;
    m.output.boxes = { tensor: 'boxes', format: 'xyxy-score-class', classes: ['mass'] };
    if (options.darkestLast) m.input.size = { mode: 'fixed', width: 512, height: 512 };
    options.change?.(m);
  })));
  const checked = await checkModelFolder(folder);
  if (options.unchecked) {
    // a model refused at its check (its trial row's class or box) still opened: what the analysis does with
    // a row its manifest cannot name, or a box turned inside out, on a real image, where the trial gave none
    assert.ok(!checked.ok);
    const manifest = modelManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')));
    return { manifest, opened: await openSession(bytes, ['cpu']) };
  }
  assert.ok(checked.ok, JSON.stringify(checked));
  return checked.model;
}

test('a boxes-only model: its box is read in input pixel edges and lands on the bright stored pixel, stored either way round', async () => {
  const dir = tempDir('ai-boxes');
  const { manifest, opened } = await brightestBoxDetector(dir);
  try {
    for (const mirrored of [false, true]) {
      const file = path.join(dir, `rcc-${mirrored ? 'mirrored' : 'ready'}.dcm`);
      const [sx, sy] = writeRightCc(file, [100, 70], mirrored);
      const result = await analyzeImage(file, manifest, opened.session, { floor: 0.1 });
      assert.equal(result.findings.length, 1, JSON.stringify(result.findings));
      const f = result.findings[0]!;
      assert.equal(f.class, 'mass');
      assert.ok(Math.abs(f.x - sx) < 0.01 && Math.abs(f.y - sy) < 0.01, `${mirrored ? 'mirrored' : 'display-ready'}: finding at ${f.x}, ${f.y}, the bright pixel at ${sx}, ${sy}`);
      // a 5 × 5 input-pixel box around it (input pixels are stored pixels here: same spacing)
      assert.deepEqual(f.box.map((v) => Math.round(v * 100) / 100), [sx - 2.5, sy - 2.5, sx + 2.5, sy + 2.5]);
      assert.ok(f.score > 0.9, String(f.score));
    }
  } finally {
    await opened.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a model of three channels (as networks pretrained on colour photographs take) gets the grey image in each, normalised per channel, and its box lands where the grey model\'s does', async () => {
  const dir = tempDir('ai-boxes-channels');
  const file = path.join(dir, 'rcc-mirrored.dcm');
  const [sx, sy] = writeRightCc(file, [100, 70], true);
  const grey = await brightestBoxDetector(dir);
  let brightest: number;
  try {
    const [f] = (await analyzeImage(file, grey.manifest, grey.opened.session, { floor: 0.1 })).findings;
    brightest = f!.score;
  } finally {
    await grey.opened.session.release();
  }
  // ImageNet's means and standard deviations, one per channel; one number for all; none
  const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const normalisations: [string, ModelManifest['input']['normalize'], (c: number) => number][] = [
    ['per channel', { type: 'mean-std', ...imagenet }, (c) => (brightest - imagenet.mean[c]!) / imagenet.std[c]!],
    ['one for all', { type: 'mean-std', mean: 0.5, std: 0.25 }, () => (brightest - 0.5) / 0.25],
    ['none', { type: 'none' }, () => brightest],
  ];
  try {
    for (const [name, normalize, expected] of normalisations) {
      for (const channel of [0, 1, 2] as const) {
        const { manifest, opened } = await brightestBoxDetector(path.join(dir), { channel, change: (m) => {
          m.input.tensor.shape = [1, 3, 'H', 'W'];
          m.input.normalize = normalize;
          m.output.scoreScale = { semantics: 'uncalibrated', min: -10, max: 10 };
        } });
        try {
          const result = await analyzeImage(file, manifest, opened.session, { floor: -10 });
          assert.equal(result.findings.length, 1, `${name}, channel ${channel}`);
          const f = result.findings[0]!;
          assert.ok(Math.abs(f.x - sx) < 0.01 && Math.abs(f.y - sy) < 0.01, `${name}, channel ${channel}: at ${f.x}, ${f.y}, the bright pixel at ${sx}, ${sy}`);
          assert.ok(Math.abs(f.score - expected(channel)) < 1e-5, `${name}, channel ${channel}: score ${f.score}, expected ${expected(channel)}`);
        } finally {
          await opened.session.release();
        }
        fs.rmSync(path.join(dir, `boxes-0-box-${channel}`), { recursive: true });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a YOLO head exported without its suppression (YOLOv8–11 channels first, YOLOv5 with an objectness): each candidate scores its best class, the station suppresses overlaps at the manifest\'s IoU, and the box lands on the bright stored pixel', async () => {
  const dir = tempDir('ai-yolo');
  const file = path.join(dir, 'rcc-mirrored.dcm');
  const [sx, sy] = writeRightCc(file, [100, 70], true);
  try {
    for (const [layout, format] of [['v8', 'cxcywh-class-scores'], ['v5', 'cxcywh-objectness-class-scores']] as const) {
      for (const nmsIou of [undefined, 0.7]) {
        const folder = path.join(dir, `yolo-${layout}-${nmsIou ?? 'default'}`);
        fs.mkdirSync(folder);
        const bytes = yoloHeadModel(layout);
        fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
        fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: `org.binome.tests.yolo-${layout}`, spacingMm: 0.2 }, (m) => {
          delete m.output.heatmap;
          m.output.boxes = { tensor: 'boxes', format, classes: ['mass', 'calcification'], ...(nmsIou ? { nmsIou } : {}) };
        })));
        const checked = await checkModelFolder(folder);
        assert.ok(checked.ok, JSON.stringify(checked));
        const { manifest, opened } = checked.model;
        try {
          const { findings } = await analyzeImage(file, manifest, opened.session, { floor: 0.1 });
          const what = `${layout}, IoU ${nmsIou ?? 'default'}: ${JSON.stringify(findings)}`;
          // the overlapping candidate (IoU 2/3) suppressed at 0.5, kept at 0.7; the one under the floor never read
          assert.equal(findings.length, nmsIou ? 2 : 1, what);
          const [best, second] = findings;
          assert.equal(best!.class, 'calcification', what);
          assert.ok(Math.abs(best!.x - sx) < 0.01 && Math.abs(best!.y - sy) < 0.01, `${what}: the bright pixel at ${sx}, ${sy}`);
          assert.deepEqual(best!.box.map((v) => Math.round(v * 100) / 100), [sx - 2.5, sy - 2.5, sx + 2.5, sy + 2.5], what);
          // YOLOv5: the class probability times the objectness (0.5)
          const factor = layout === 'v5' ? 0.5 : 1;
          if (second) {
            assert.ok(Math.abs(second.score - 0.9 * best!.score) < 1e-6, what);
            // one input pixel to the right of the bright pixel (away from the chest wall, which the input has
            // on its left): the stored image, mirrored from the display, runs the same way
            assert.ok(Math.abs(second.x - (sx + 1)) < 0.01, what);
          }
          assert.ok(best!.score > 0.9 * factor && best!.score <= factor, what);
        } finally {
          await opened.session.release();
        }
      }
    }
    // a head whose shape holds other classes than the manifest names is refused, saying what it should be
    const folder = path.join(dir, 'yolo-one-class');
    fs.mkdirSync(folder);
    const bytes = yoloHeadModel('v8');
    fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.yolo-one', spacingMm: 0.2 }, (m) => {
      delete m.output.heatmap;
      m.output.boxes = { tensor: 'boxes', format: 'cxcywh-class-scores', classes: ['mass'] };
    })));
    const refused = await checkModelFolder(folder);
    assert.equal(refused.ok, false);
    const { problem } = refused as Extract<typeof refused, { ok: false }>;
    assert.match(describeModelProblem('en', problem), /output "boxes" is \[1, 6, 3\]; boxes in the format cxcywh-class-scores with 1 class are \[1, 5, N\]/);
    assert.match(describeModelProblem('fr', problem), /la sortie «\u202fboxes\u202f» est \[1, 6, 3\]\u202f; des boîtes au format cxcywh-class-scores avec 1 classe sont \[1, 5, N\]/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a YOLO model as ultralytics trains and exports one (the whole image letterboxed into a fixed square: scaled to fit, centred, grey 114 around it): the box lands on the bright stored pixel', async () => {
  const dir = tempDir('ai-letterbox');
  const file = path.join(dir, 'rcc.dcm');
  const [sx, sy] = writeRightCc(file, [100, 70], false);
  const folder = path.join(dir, 'yolo-letterbox');
  fs.mkdirSync(folder);
  const bytes = yoloHeadModel('v8');
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  const manifest = fixtureManifest(bytes, { id: 'org.binome.tests.yolo-letterbox' }, (m) => {
    delete m.output.heatmap;
    m.output.boxes = { tensor: 'boxes', format: 'cxcywh-class-scores', classes: ['mass', 'calcification'] };
    m.input.spacingMm = null;
    m.input.size = { mode: 'fixed', width: 256, height: 256 };
    m.input.padding = { placement: 'centred', value: 114 / 255 };
    m.input.crop = 'none';
    m.contractVersion = '1.1';
  });
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
  const options = pipelineOptions(manifest);
  assert.deepEqual([options.crop, options.padding, options.size, options.pixelSizeMm], [false, { placement: 'centred', value: 114 / 255 }, { width: 256, height: 256 }, undefined]);
  const checked = await checkModelFolder(folder);
  assert.ok(checked.ok, JSON.stringify(checked));
  const { opened } = checked.model;
  try {
    const result = await analyzeImage(file, checked.model.manifest, opened.session, { floor: 0.1 });
    assert.deepEqual(result.input, { width: 256, height: 256 });
    const best = result.findings[0]!;
    // the whole 160 × 200 image scaled by 256 / 200 (its pixels enlarged): the input pixel nearest the mark, within half of one of the stored pixels
    assert.ok(Math.abs(best.x - sx) <= 0.5 && Math.abs(best.y - sy) <= 0.5, `finding at ${best.x}, ${best.y}; the bright pixel at ${sx}, ${sy}`);
    // a 5 × 5 box in input pixels: 5 × 200 / 256 stored pixels
    assert.ok(Math.abs(best.box[2] - best.box[0] - 5 * 200 / 256) < 0.01, JSON.stringify(best.box));
  } finally {
    await opened.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a detector exported as torchvision\'s are (one image [3, H, W] without the batch axis; boxes, scores and integer labels in three outputs, 0 the background): its box lands on the bright stored pixel with the class its label names', async () => {
  const dir = tempDir('ai-torchvision');
  const file = path.join(dir, 'rcc-mirrored.dcm');
  const [sx, sy] = writeRightCc(file, [100, 70], true);
  const write = (name: string, change: (m: ModelManifest) => void) => {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder);
    const bytes = torchvisionDetectorModel();
    fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: `org.binome.tests.${name}`, spacingMm: 0.2 }, (m) => {
      delete m.output.heatmap;
      m.input.tensor.shape = [3, 'H', 'W'];
      m.output.boxes = { tensor: 'boxes', format: 'xyxy-scores-labels', scores: 'scores', labels: 'labels', classes: ['mass', 'calcification'] };
      change(m);
    })));
    return folder;
  };
  try {
    const checked = await checkModelFolder(write('torchvision', () => undefined));
    assert.ok(checked.ok, JSON.stringify(checked));
    const { manifest, opened } = checked.model;
    try {
      const { findings } = await analyzeImage(file, manifest, opened.session, { floor: 0.1 });
      // label 2 is the second class (label 1 the first); the box under the floor marks nothing
      assert.equal(findings.length, 1, JSON.stringify(findings));
      const f = findings[0]!;
      assert.equal(f.class, 'calcification');
      assert.ok(Math.abs(f.x - sx) < 0.01 && Math.abs(f.y - sy) < 0.01, `finding at ${f.x}, ${f.y}, the bright pixel at ${sx}, ${sy}`);
      assert.deepEqual(f.box.map((v) => Math.round(v * 100) / 100), [sx - 2.5, sy - 2.5, sx + 2.5, sy + 2.5]);
      assert.ok(f.score > 0.9, String(f.score));
    } finally {
      await opened.session.release();
    }
    // labels counted from 0 (a model trained without a background class): label 2 names a third class it does not have
    const fromZeroFolder = write('torchvision-from-zero', (m) => { (m.output.boxes as { firstLabel?: number }).firstLabel = 0; });
    const fromZero = await checkModelFolder(fromZeroFolder);
    // refused at its check: its trial run gives that label already (it loaded, then failed every exam)
    assert.ok(!fromZero.ok && fromZero.problem.params?.kind === 'boxes_label', JSON.stringify(fromZero));
    assert.match(describeModelProblem('en', fromZero.problem), /output "labels" gives a box the label 2 \(row 0\) for a test image of \d+ × \d+; the manifest names 2 classes \(labels 0 to 1\)/);
    assert.doesNotMatch(describeModelProblem('en', fromZero.problem), /firstLabel/);
    // the label 0 where labels begin at 1 (a model counting from 0, its manifest not saying so): the refusal names the key
    const zero = { code: 'tensor_mismatch' as const, params: { kind: 'boxes_label', name: 'labels', row: 0, label: 0, classes: 2, first: 1, last: 2, width: 64, height: 128 } };
    assert.match(describeModelProblem('en', zero), /the label 0 \(row 0\) .*\(labels 1 to 2\); labels counted from 0 \(no background label\) are said with output\.boxes\.firstLabel 0$/);
    assert.match(describeModelProblem('fr', zero), /se disent avec output\.boxes\.firstLabel 0$/);
    // the analysis says so too, for a row the trial did not give (opened here without its check)
    const opened0 = { manifest: modelManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(fromZeroFolder, 'manifest.json'), 'utf8'))), opened: await openSession(new Uint8Array(fs.readFileSync(path.join(fromZeroFolder, 'model.onnx'))), ['cpu']) };
    try {
      await assert.rejects(analyzeImage(file, opened0.manifest, opened0.opened.session, { floor: 0.1 }), (e: unknown) => {
        assert.equal((e as { code?: string }).code, 'model_output_invalid');
        assert.match((e as Error).message, /boxes row 0: label 2 is not one of the manifest's 2 classes \(labels 0 to 1\)/);
        return true;
      });
    } finally {
      await opened0.opened.session.release();
    }
    // the same model described with the batch axis, or its scores named wrong: refused, saying so
    const batched = await checkModelFolder(write('torchvision-batched', (m) => { m.input.tensor.shape = [1, 3, 'H', 'W']; }));
    assert.equal(batched.ok, false);
    assert.match(describeModelProblem('en', (batched as Extract<typeof batched, { ok: false }>).problem), /input "image" has 3 dimensions; the manifest says 4/);
    const misnamed = await checkModelFolder(write('torchvision-misnamed', (m) => { (m.output.boxes as { scores: string }).scores = 'confidences'; }));
    assert.equal(misnamed.ok, false);
    assert.match(describeModelProblem('en', (misnamed as Extract<typeof misnamed, { ok: false }>).problem), /the outputs "confidences" the manifest names are not in the model \(it has "boxes", "scores", "labels"\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('what a model marks in the padding of its input (off the stored image) is no finding: no viewer draws it, no SR carries it', async () => {
  const dir = tempDir('ai-boxes-padding');
  const { manifest, opened } = await brightestBoxDetector(dir, { darkestLast: true });
  try {
    const file = path.join(dir, 'rcc.dcm');
    writeRightCc(file, [100, 70], false);
    const result = await analyzeImage(file, manifest, opened.session, { floor: 0.1 });
    // the model's one box sits in the bottom-right corner of its 512 × 512 input, far past the 160 × 200 image
    assert.deepEqual(result.findings, [], JSON.stringify(result.findings));
    assert.equal(result.imageScore, manifest.output.scoreScale.min, 'nothing found: the scale\'s minimum');
  } finally {
    await opened.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a box reaching from the image into the padding beside it is cut to the image first, its mark at the centre of what is left (as ultralytics\' scale_boxes clips); one wholly in the padding marks nothing', async () => {
  const dir = tempDir('ai-boxes-straddle');
  const file = path.join(dir, 'rcc.dcm');
  writeRightCc(file, [100, 70], false);
  const folder = path.join(dir, 'fixed');
  fs.mkdirSync(folder);
  // the 160 × 200 image at its own pixels, uncropped, padded to 192 × 256: 32 columns of air past the
  // image (the nipple side, on the right of the input). A box from column 150 to 190 (its centre
  // at 170, off the image) and one from 170 to 190 (wholly in the padding)
  const bytes = fixedBoxesModel([[150, 50, 190, 60, 0.9, 0], [170, 80, 190, 90, 0.8, 0]]);
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.fixed-boxes', spacingMm: 0.2, multiple: 64 }, (m) => {
    delete m.output.heatmap;
    m.output.boxes = { tensor: 'boxes', format: 'xyxy-score-class', classes: ['mass'] };
    m.input.crop = 'none';
    m.contractVersion = '1.1';
  })));
  const checked = await checkModelFolder(folder);
  assert.ok(checked.ok, JSON.stringify(checked));
  const { manifest, opened } = checked.model;
  try {
    const result = await analyzeImage(file, manifest, opened.session, { floor: 0.1 });
    assert.deepEqual(result.input, { width: 192, height: 256 });
    assert.equal(result.findings.length, 1, JSON.stringify(result.findings));
    const [f] = result.findings;
    // input columns 150–160 of the mirrored image: stored columns 0–10, its left edge at −0.5
    assert.deepEqual(f!.box.map((v) => Math.round(v * 100) / 100), [-0.5, 49.5, 9.5, 59.5]);
    assert.deepEqual([f!.x, f!.y], [4.5, 54.5]);
    assert.equal(f!.score, Math.fround(0.9));
    // the same model giving its boxes as fractions of the image (a TensorFlow detector's): refused at its check, saying
    // so (a vendor's probe: every box fell in the margin, and every exam was "done" without a mark)
    const fractions = path.join(dir, 'fractions');
    fs.mkdirSync(fractions);
    const fractionBytes = fixedBoxesModel([[0.12, 0.195, 0.197, 0.258, 0.9, 0]]);
    fs.writeFileSync(path.join(fractions, 'model.onnx'), fractionBytes);
    fs.writeFileSync(path.join(fractions, 'manifest.json'), JSON.stringify({ ...manifest, id: 'org.binome.tests.fractions', sha256: createHash('sha256').update(fractionBytes).digest('hex') }));
    const refused = await checkModelFolder(fractions);
    assert.ok(!refused.ok, JSON.stringify(refused));
    assert.match(describeModelProblem('en', refused.problem), /output "boxes" gives 1 box\(es\) for a test image of \d+ × \d+, every one within its first pixel: coordinates as fractions of the image\? The contract takes boxes in the input's pixels/);
    assert.match(describeModelProblem('fr', refused.problem), /toutes dans son premier pixel\u202f: des coordonnées en fractions de l’image\u202f\?/);
    // and at analysis, where the check's test image got no box (a detector finds nothing on a ramp, a
    // vendor's probe: such a model passed, and every exam was "done", flagged, without a mark): the image fails saying so
    const { session } = await openSession(fractionBytes, ['cpu']);
    try {
      await assert.rejects(analyzeImage(file, manifest, session, { floor: 0.1 }),
        (e: Error) => e.name === 'ModelOutputError' && /every box of output "boxes" \(1\) lies within the first pixel of the model's 192 × 256 input: are its coordinates fractions of the image/.test(e.message));
    } finally {
      await session.release();
    }
  } finally {
    await opened.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a model whose file declares outputs larger than the station reads is refused at its check, before any run makes them (a vendor\'s probe: [1, 40,000,000, 6] boxes took the station to 2.9 GB an image)', async () => {
  const dir = tempDir('ai-boxes-huge');
  try {
    const huge = path.join(dir, 'huge');
    fs.mkdirSync(huge);
    // 12 million rows of 6: 72 million values (288 MB), declared in the file; Expand would make them at a run
    const bytes = manyBoxesModel(12_000_000);
    fs.writeFileSync(path.join(huge, 'model.onnx'), bytes);
    fs.writeFileSync(path.join(huge, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.many-boxes', spacingMm: 0.2, multiple: 64 }, (m) => {
      delete m.output.heatmap;
      m.output.boxes = { tensor: 'boxes', format: 'xyxy-score-class', classes: ['mass'] };
      m.contractVersion = '1.1';
    })));
    const rssBefore = process.memoryUsage().rss;
    const refused = await checkModelFolder(huge);
    assert.ok(!refused.ok, JSON.stringify(refused));
    assert.match(describeModelProblem('en', refused.problem), /the outputs hold 72,000,000 values for one image: more than the station reads \(67,108,864\)/);
    assert.match(describeModelProblem('fr', refused.problem), /les sorties comptent 72\u202f000\u202f000 valeurs pour une image\u202f: plus que la station n’en lit \(67\u202f108\u202f864\)/);
    // not made: the process did not grow by the 288 MB a run would have
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, `${process.memoryUsage().rss - rssBefore} bytes more`);
    // a size within the limit is a model like any other (its boxes, of score 0, mark nothing)
    const fine = path.join(dir, 'fine');
    fs.mkdirSync(fine);
    const fineBytes = manyBoxesModel(1000);
    fs.writeFileSync(path.join(fine, 'model.onnx'), fineBytes);
    fs.writeFileSync(path.join(fine, 'manifest.json'), JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(huge, 'manifest.json'), 'utf8')), id: 'org.binome.tests.some-boxes', name: 'Some boxes', sha256: createHash('sha256').update(fineBytes).digest('hex') }));
    const checked = await checkModelFolder(fine);
    assert.ok(checked.ok, JSON.stringify(checked));
    await checked.model.opened.session.release();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('images analysed one after another, and several at once on one thread, each get their own findings (the arrays a thread keeps from image to image are lent to one analysis at a time)', async () => {
  const dir = tempDir('ai-boxes-scratch');
  const { manifest, opened } = await brightestBoxDetector(dir);
  try {
    // sizes that grow and shrink, marks in different places, stored either way round
    const images = ([[[100, 70], false, [160, 200]], [[40, 150], true, [240, 300]], [[60, 30], false, [120, 150]], [[200, 250], true, [260, 320]]] as const)
      .map(([mark, mirrored, size], i) => {
        const file = path.join(dir, `rcc-${i}.dcm`);
        return { file, at: writeRightCc(file, [...mark], mirrored, [...size]) };
      });
    const where = (r: Awaited<ReturnType<typeof analyzeImage>>) => r.findings.map((f) => [Math.round(f.x), Math.round(f.y)]);
    const oneByOne: Awaited<ReturnType<typeof analyzeImage>>[] = [];
    for (const image of images) oneByOne.push(await analyzeImage(image.file, manifest, opened.session, { floor: 0.1 }));
    const atOnce = await Promise.all([...images, ...images].map((image) => analyzeImage(image.file, manifest, opened.session, { floor: 0.1 })));
    images.forEach((image, i) => {
      assert.deepEqual(where(oneByOne[i]!), [image.at], `image ${i} alone`);
      assert.deepEqual(where(atOnce[i]!), [image.at], `image ${i} among others`);
      assert.deepEqual(where(atOnce[i + images.length]!), [image.at], `image ${i} again among others`);
    });
  } finally {
    await opened.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a model whose output breaks its manifest (not finite numbers; a score off its 0–1 scale) fails the image with model_output_invalid, saying what it gave', async () => {
  const dir = tempDir('ai-broken-output');
  try {
    const file = path.join(dir, 'rcc.dcm');
    writeRightCc(file, [100, 70], false);
    for (const kind of ['not-finite', 'off-scale'] as const) {
      const bytes = brokenOutputModel(kind);
      const manifest = fixtureManifest(bytes, { id: `org.binome.tests.broken-${kind}`, imageScore: true, spacingMm: 0.2 });
      const { session } = await openSession(bytes, ['cpu']);
      try {
        await assert.rejects(analyzeImage(file, manifest, session, { floor: 0.1 }), (e: unknown) => {
          const error = e as { code?: string; message?: string };
          assert.equal(error.code, 'model_output_invalid');
          assert.match(error.message ?? '', kind === 'not-finite' ? /output "heatmap" holds (Infinity|NaN|-Infinity) at \d+: not a finite number/ : /output "image_score" holds the score [\d.]+ at 0, outside the manifest's scale 0–1/);
          return true;
        });
      } finally {
        await session.release();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a heatmap not 1/stride of this input (cut to a fixed size: it read one corner) fails the image with model_output_invalid at every run, not only on the trial run at load', async () => {
  const dir = tempDir('ai-cut-heatmap');
  try {
    const file = path.join(dir, 'rcc.dcm');
    writeRightCc(file, [100, 70], false);
    const bytes = cutHeatmapModel(40);
    const manifest = fixtureManifest(bytes, { id: 'org.binome.tests.cut-heatmap', imageScore: true, spacingMm: 0.2 });
    manifest.output.heatmap!.classes = ['mass'];
    const { session } = await openSession(bytes, ['cpu']);
    try {
      await assert.rejects(analyzeImage(file, manifest, session, { floor: 0.1 }), (e: unknown) => {
        const error = e as { code?: string; message?: string };
        assert.equal(error.code, 'model_output_invalid');
        assert.match(error.message ?? '', /output "heatmap" is \[1, 1, 40, 40\] for an input of \d+ × \d+: not \[1, 1, \d+, \d+\]/);
        return true;
      });
    } finally {
      await session.release();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a model that stops with an error inside its own run (a size its trials did not have) fails the image as the model\'s fault, model_run_failed, in the runtime\'s words without its source paths, said in the reader\'s language', async () => {
  const dir = tempDir('ai-run-fails');
  try {
    const file = path.join(dir, 'rcc.dcm');
    writeRightCc(file, [100, 70], false);
    const bytes = reshapeFailsModel(7);
    const manifest = fixtureManifest(bytes, { id: 'org.binome.tests.run-fails', imageScore: true, spacingMm: 0.2 });
    const { session } = await openSession(bytes, ['cpu']);
    let said = '';
    try {
      await assert.rejects(analyzeImage(file, manifest, session, { floor: 0.1 }), (e: unknown) => {
        const error = e as { code?: string; message?: string; name?: string };
        // (it read "analysis_failed", the code of a fault of the station's, its reason the runtime's C++ source path cut mid-word: a vendor's probe)
        assert.equal(error.code, 'model_run_failed');
        said = error.message ?? '';
        return true;
      });
    } finally {
      await session.release();
    }
    assert.match(said, /cannot be reshaped|reshape/i, said);
    assert.doesNotMatch(said, /onnxruntime_src|\.(h|cc):\d+/, said);
    assert.ok(said.length <= 241, `${said.length} characters`);
    const en = failureReason(translatorFor('en'), 'model_run_failed', `RCC: ${said}`);
    assert.match(en, /^the model stopped with an error of its own on an image \(RCC\) .*: a fault of the model, to tell whoever supplied it \(what was wrong: .*reshape/i);
    assert.match(failureReason(translatorFor('fr'), 'model_run_failed', `RCC: ${said}`), /^le modèle s’est arrêté sur une erreur qui lui est propre pour une image \(RCC\) .*\u202f: un défaut du modèle, à signaler à qui l’a fourni \(ce qui n’allait pas, en anglais\u202f: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The image's analysis fails with model_output_invalid, saying `said`. */
async function failsAsInvalid(file: string, manifest: ModelManifest, session: Parameters<typeof analyzeImage>[2], said: RegExp, label: string): Promise<void> {
  await assert.rejects(analyzeImage(file, manifest, session, { floor: 0.1 }), (e: unknown) => {
    const error = e as { code?: string; message?: string };
    assert.equal(error.code, 'model_output_invalid', label);
    assert.match(error.message ?? '', said);
    return true;
  });
}

test('a boxes model whose row names a class its manifest does not have, or gives a box turned inside out, fails the image with model_output_invalid (its best finding was dropped without a word)', async () => {
  const dir = tempDir('ai-boxes-off-contract');
  try {
    const file = path.join(dir, 'rcc.dcm');
    writeRightCc(file, [100, 70], false);
    const cases = [
      { options: { classIndex: 7, unchecked: true }, said: /boxes row 0: class 7 is not one of the manifest's 1 classes \(0 to 0\)/ },
      { options: { classIndex: 0.5, unchecked: true }, said: /boxes row 0: class 0\.5 is not one of the manifest's 1 classes/ },
      // (refused at its check since its trial's box is turned inside out too)
      { options: { insideOut: true, unchecked: true }, said: /boxes row 0: \[[\d., ]+\] is turned inside out \(x1 < x0 or y1 < y0\)/ },
    ];
    for (const c of cases) {
      const { manifest, opened } = await brightestBoxDetector(dir, c.options);
      try {
        await failsAsInvalid(file, manifest, opened.session, c.said, JSON.stringify(c.options));
      } finally {
        await opened.session.release();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a box reaching far beyond the model\'s input (coordinates in another unit), or lying wholly outside it, is refused at the model\'s check and fails the image with model_output_invalid: not a mark over the whole breast, nor dropped as nothing found', async () => {
  const dir = tempDir('ai-boxes-far');
  try {
    const file = path.join(dir, 'rcc.dcm');
    writeRightCc(file, [100, 70], false);
    // the input: the 160 × 200 image uncropped at its own pixels, padded to 192 × 256
    const cases = [
      { name: 'huge', refusedAtCheck: true, rows: [[-1e30, -1e30, 1e30, 1e30, 0.9, 0]], said: /boxes row 0: \[.*\] reaches far beyond the model's 192 × 256 input: are its coordinates the input's pixels\?/ },
      { name: 'scaled', rows: [[400, 100, 420, 120, 0.9, 0]], said: /reaches far beyond the model's 192 × 256 input/ },
      { name: 'straddling', rows: [[-190, -250, 380, 510, 0.9, 0]], said: /reaches far beyond the model's 192 × 256 input/ },
      { name: 'beside', rows: [[200, 50, 240, 60, 0.95, 0]], said: /boxes row 0: \[200, 50, 240, 60\] lies wholly outside the model's 192 × 256 input/ },
    ];
    for (const c of cases) {
      const folder = path.join(dir, c.name);
      fs.mkdirSync(folder);
      const bytes = fixedBoxesModel(c.rows);
      fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
      fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: `org.binome.tests.far-${c.name}`, spacingMm: 0.2, multiple: 64 }, (m) => {
        delete m.output.heatmap;
        m.output.boxes = { tensor: 'boxes', format: 'xyxy-score-class', classes: ['mass'] };
        m.input.crop = 'none';
        m.contractVersion = '1.1';
      })));
      // where its trial run at a breast's size (750 × 1250 at 0.2 mm) gives a box beyond that input, refused at
      // the check (it loaded, then failed every exam: a vendor's probe); the other boxes lie within it
      const checked = await checkModelFolder(folder);
      assert.equal(checked.ok, !c.refusedAtCheck, c.name);
      if (!checked.ok) {
        assert.equal(checked.problem.params?.kind, 'boxes_misplaced', c.name);
        assert.match(describeModelProblem('en', checked.problem), /^the model’s trial run does not give what its manifest says: output "boxes" gives the box \[-1e\+30, -1e\+30, 1e\+30, 1e\+30\] \(row 0\) for a test image of \d+ × \d+, reaching far beyond the input/);
        assert.match(describeModelProblem('fr', checked.problem), /pour une image de test de \d+ × \d+, qui s’étend loin au-delà de l’entrée/);
      } else {
        await checked.model.opened.session.release();
      }
      // at the 192 × 256 input of this image, each fails it
      const manifest = modelManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')));
      const opened = await openSession(bytes, ['cpu']);
      try {
        await failsAsInvalid(file, manifest, opened.session, c.said, c.name);
      } finally {
        await opened.session.release();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a boxes model whose trial run gives a row of a class its manifest does not name is refused at its check, saying so (it loaded, then failed every exam with model_output_invalid); one whose trial finds nothing, or pads its rows under the floor with any class, is used', async () => {
  const dir = tempDir('ai-boxes-trial-class');
  const write = (name: string, rows: number[][], change: (m: ModelManifest) => void = () => undefined) => {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder);
    const bytes = fixedBoxesModel(rows);
    fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: `org.binome.tests.${name}`, spacingMm: 0.2, multiple: 64 }, (m) => {
      delete m.output.heatmap;
      m.output.boxes = { tensor: 'boxes', format: 'xyxy-score-class', classes: ['mass', 'calcification', 'architectural_distortion'] };
      change(m);
    })));
    return folder;
  };
  try {
    const refused = await checkModelFolder(write('class-seven', [[10, 10, 20, 20, 0.9, 7]]));
    assert.ok(!refused.ok);
    assert.equal(refused.problem.code, 'tensor_mismatch');
    assert.equal(refused.problem.params?.kind, 'boxes_class');
    assert.match(describeModelProblem('en', refused.problem), /output "boxes" gives a box of class 7 \(row 0\) for a test image of \d+ × \d+; the manifest names 3 classes \(0 to 2\)/);
    assert.match(describeModelProblem('fr', refused.problem), /la sortie «\u202fboxes\u202f» donne une boîte de classe 7 \(ligne 0\) .* le manifeste nomme 3 classes \(de 0 à 2\)/);
    const negative = await checkModelFolder(write('class-minus-one', [[10, 10, 20, 20, 0.9, 0], [10, 10, 20, 20, 0.8, -1]]));
    assert.ok(!negative.ok && negative.problem.params?.kind === 'boxes_class' && negative.problem.params.row === 1, JSON.stringify(negative));
    // nothing found on the test image: no row at all, or rows under the floor (0.1 here) padded with class -1
    for (const [name, rows] of [['none-found', [[0, 0, 0, 0, 0, -1], [0, 0, 0, 0, 0.05, 9]]], ['found', [[10, 10, 20, 20, 0.9, 2]]], ['no-rows', []]] as const) {
      const checked = await checkModelFolder(write(name, rows.map((r: readonly number[]) => [...r])));
      assert.ok(checked.ok, `${name}: ${JSON.stringify(checked)}`);
      await checked.model.opened.session.release();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an image with no breast in it (blank, air only, one pixel) is not read, saying so; not "nothing found", which ranked it the least suspicious exam', async () => {
  const dir = tempDir('ai-no-breast');
  const bytes = tinyDetectorModel({ classes: 1 });
  const manifest = fixtureManifest(bytes, { id: 'org.binome.tests.no-breast', imageScore: true, spacingMm: 0.2 });
  const { session } = await openSession(bytes, ['cpu']);
  try {
    const attributes = { ImageLaterality: 'R', ViewPosition: 'CC', PatientOrientation: ['P', 'L'], ImagerPixelSpacing: [0.2, 0.2], WindowCenter: [2048], WindowWidth: [4096] };
    const blank = path.join(dir, 'blank.dcm'), pixel = path.join(dir, 'pixel.dcm'), breast = path.join(dir, 'breast.dcm');
    writeTestImage(blank, { rows: 200, columns: 160, bitsAllocated: 16, bitsStored: 12, pixels: new Uint16Array(160 * 200).fill(100), attributes });
    writeTestImage(pixel, { rows: 1, columns: 1, bitsAllocated: 16, bitsStored: 12, pixels: new Uint16Array([3000]), attributes });
    writeRightCc(breast, [100, 70], false);
    for (const file of [blank, pixel]) {
      await assert.rejects(analyzeImage(file, manifest, session, { floor: 0.1 }), (e: unknown) => {
        assert.equal((e as { name?: string }).name, 'PixelDataError');
        assert.equal((e as { code?: string }).code, 'no_breast');
        return true;
      }, path.basename(file));
    }
    assert.ok((await analyzeImage(breast, manifest, session, { floor: 0.1 })).findings.length > 0, 'an image with a breast is read');
  } finally {
    await session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a breast larger than a fixed input at a fixed pixel size is not read, saying so; not "nothing found" of the part the model never saw (a vendor\'s probe: 512 × 512 at 0.2 mm left the lower 95 mm of each MLO unread, done, nothing unread)', async () => {
  const dir = tempDir('ai-breast-cut');
  const bytes = tinyDetectorModel({ classes: 1 });
  const fixed = (side: number) => fixtureManifest(bytes, { id: `org.binome.tests.fixed-${side}`, spacingMm: 0.2 }, (m) => { m.input.size = { mode: 'fixed', width: side, height: side }; });
  const { session } = await openSession(bytes, ['cpu']);
  try {
    // a breast 26 × 34 mm: in a matrix of 80 pixels of 0.2 mm (16 mm) half of it would go unread
    const file = path.join(dir, 'rcc.dcm');
    writeRightCc(file, [100, 70], false);
    await assert.rejects(analyzeImage(file, fixed(80), session, { floor: 0.1 }), (e: unknown) => {
      assert.equal((e as { name?: string }).name, 'PixelDataError');
      assert.equal((e as { code?: string }).code, 'breast_cut');
      assert.match((e as Error).message, /^the breast is larger than the model's fixed input \(80 × 80 pixels of 0\.20 × 0\.20 mm\): part of it would go unread$/);
      return true;
    });
    // in one of 256 (51 mm) it is read whole
    assert.ok((await analyzeImage(file, fixed(256), session, { floor: 0.1 })).findings.length > 0, 'a breast the matrix holds is read');
  } finally {
    await session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an image\'s score is the model\'s own image score where the manifest reads it (breastScore "max-over-views"), else its best finding\'s ("max-over-findings": an exam marked at 0.72 scored by an image score of 0.05 went unflagged, a probe)', async () => {
  const dir = tempDir('ai-image-score-rule');
  const file = path.join(dir, 'rcc.dcm');
  writeRightCc(file, [100, 70], false);
  const bytes = tinyDetectorModel({ classes: 1 });
  const scores: Record<string, { image: number; best: number }> = {};
  for (const breastScore of ['max-over-views', 'max-over-findings'] as const) {
    const folder = path.join(dir, breastScore);
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.image-score-rule', classes: 1, imageScore: true, spacingMm: 0.2, threshold: 0.6 }, (m) => { m.output.breastScore = breastScore; })));
    const checked = await checkModelFolder(folder);
    assert.ok(checked.ok, JSON.stringify(checked));
    try {
      const result = await analyzeImage(file, checked.model.manifest, checked.model.opened.session, { floor: 0.6 });
      assert.ok(result.findings.length > 0, breastScore);
      scores[breastScore] = { image: result.imageScore, best: Math.max(...result.findings.map((f) => f.score)) };
    } finally {
      await checked.model.opened.session.release();
    }
  }
  // the tiny model's image score (the sigmoid of the image's mean) is under its bright pixel's heatmap value
  const own = scores['max-over-views']!, best = scores['max-over-findings']!;
  assert.ok(own.image < own.best - 0.05, JSON.stringify(scores));
  assert.equal(best.image, best.best, 'the best finding\'s score');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('two heatmap peaks of one class nearer than 8 mm are one finding (three distortion stars lay over one another on one place at 5 mm, a radiologist\'s probe); 9 mm apart, two', async () => {
  const dir = tempDir('ai-peaks-near');
  try {
    const bytes = tinyDetectorModel({ classes: 1 });
    // the heatmap near 0 but at the spots (each pixel's sigmoid after a mean of 0.9 and a deviation of
    // 0.05): no ridge joins the two, and their scores are equal (no satellite): the distance alone decides
    const manifest = fixtureManifest(bytes, { classes: 1, spacingMm: 0.2 }, (m) => { m.input.normalize = { type: 'mean-std', mean: 0.9, std: 0.05 }; });
    const opened = await openSession(bytes, ['cpu']);
    try {
      const found = async (name: string, apartPx: number) => {
        const file = path.join(dir, `${name}.dcm`);
        // 0.2 mm pixels: 34 px is 6.8 mm, 45 px 9 mm
        writeRightCc(file, [100, 60], false, [160, 200], [[100, 60 + apartPx]]);
        return (await analyzeImage(file, manifest, opened.session, { floor: 0.5 })).findings;
      };
      const near = await found('near', 34);
      assert.equal(near.length, 1, JSON.stringify(near));
      const apart = await found('apart', 45);
      assert.equal(apart.length, 2, JSON.stringify(apart));
      assert.ok(Math.abs(Math.abs(apart[0]!.y - apart[1]!.y) - 45) <= 1, JSON.stringify(apart));
    } finally {
      await opened.session.release();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
