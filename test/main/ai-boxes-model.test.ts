// A model that gives boxes instead of heatmaps (as a vendor's detector with its own post-processing
// does) drops in through the contract: its rows are read in input pixel edges and land on the stored
// image through the pipeline's inverse, for an image stored display-ready and one stored mirrored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeImage } from '../../main/ai/image-analysis.ts';
import { checkModelFolder } from '../../main/ai/model-package.ts';
import { brightestBoxModel, fixtureManifest } from '../helpers/onnx-models.ts';
import { writeTestImage } from '../helpers/pixel-files.ts';
import { tempDir } from '../helpers/paths.ts';

const W = 160, H = 200;

/** A right CC, chest wall on the right edge as displayed, one bright pixel at `mark` (display coordinates). */
function writeRightCc(file: string, mark: [number, number], mirrored: boolean): [number, number] {
  const pixels = new Uint16Array(W * H);
  const stored = (x: number) => (mirrored ? W - 1 - x : x);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const inside = ((x - (W - 1)) / (0.8 * W)) ** 2 + ((y - H / 2) / (0.42 * H)) ** 2 < 1;
    pixels[y * W + stored(x)] = inside ? 1500 + ((x * 7 + y * 13) % 40) : 100;
  }
  pixels[mark[1] * W + stored(mark[0])] = 4000;
  writeTestImage(file, {
    rows: H, columns: W, bitsAllocated: 16, bitsStored: 12, pixels,
    attributes: { ImageLaterality: 'R', ViewPosition: 'CC', PatientOrientation: [mirrored ? 'A' : 'P', 'L'], ImagerPixelSpacing: [0.2, 0.2], WindowCenter: [2048], WindowWidth: [4096] },
  });
  return [stored(mark[0]), mark[1]];
}

test('a boxes-only model: its box is read in input pixel edges and lands on the bright stored pixel, stored either way round', async () => {
  const dir = tempDir('ai-boxes');
  const folder = path.join(dir, 'boxes');
  fs.mkdirSync(folder);
  const bytes = brightestBoxModel();
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.brightest-box', spacingMm: 0.2 }, (m) => {
    delete m.output.heatmap;
    m.output.boxes = { tensor: 'boxes', format: 'xyxy-score-class', classes: ['mass'] };
  })));
  const checked = await checkModelFolder(folder);
  assert.ok(checked.ok, JSON.stringify(checked));
  const { manifest, opened } = checked.model;
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
