// Training and validation patches for the synthetic detector, made by the station's own code: exams
// from the synthetic generator (`binome demo`, main/synth), each FOR PRESENTATION image decoded and
// made into the model's input by the same pixel pipeline inference uses (main/dicom/pixels,
// through main/ai/image-analysis.ts's pipelineOptions for this model's manifest), and its lesions
// (ground truth in stored pixels) mapped into that input through the pipeline's exact map.
// Patches around every lesion and from lesion-free breast tissue are written for train.py:
//
//   <out>/patches.u16  N × P × P little-endian uint16 (input value × 65535)
//   <out>/patches.json  per patch: seed, density, variant, view and its lesions
//                       (class, centre, size in patch pixels, contrast)
//
// --mine MODEL_FOLDER runs that model (onnxruntime-node, on this thread) on every image as the
// station would, and adds --hard-negatives patches per image centred on its strongest marks away
// from every lesion (a patch's `hard`: the mark's score), and each lesion's `modelScore` (the best
// score of its class inside its box): the places where the model is wrong, for train.py to draw
// more often (--hard-share, --missed-weight).
//
// node bin/tsx.js models/binome-synth-detector/train/make-dataset.ts --seeds train-0,train-1 --patients 25 --out DIR
// The DICOM files are removed as soon as their patches are taken.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { modelManifestSchema } from '../../../common/ai/model-manifest.ts';
import { pipelineOptions } from '../../../main/ai/image-analysis.ts';
import { mapBox } from '../../../main/dicom/pixels/affine.ts';
import { decodeFrame } from '../../../main/dicom/pixels/decode.ts';
import { prepareModelInput } from '../../../main/dicom/pixels/model-input.ts';
import { generateDemo } from '../../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../../main/synth/plan.ts';
import { Random } from '../../../main/synth/random.ts';
import { openSession } from '../../../main/ai/execution-provider.ts';
import { heatmapPeaks } from '../../../main/ai/heatmap-peaks.ts';
import { Tensor } from 'onnxruntime-node';

const { values } = parseArgs({ options: {
  seeds: { type: 'string' }, patients: { type: 'string', default: '25' }, out: { type: 'string' },
  patch: { type: 'string', default: '320' }, negatives: { type: 'string', default: '3' },
  contrast: { type: 'string', default: '0.3,1.5' }, 'abnormal-rate': { type: 'string', default: '0.85' },
  // a model being made for another input pixel size than the manifest's (the manifest follows it)
  'pixel-size': { type: 'string' },
  // lesion-free patches where the pectoral muscle's edge meets the top of an MLO view: where a model
  // that never saw enough of it puts false marks
  'pectoral-negatives': { type: 'string', default: '0' },
  mine: { type: 'string' }, 'hard-negatives': { type: 'string', default: '2' },
} });
if (!values.seeds || !values.out) throw new Error('--seeds and --out are required');
const P = Number(values.patch);
const PECTORAL_NEGATIVES = Number(values['pectoral-negatives']);
const manifest = modelManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'manifest.json'), 'utf8')));
const pipeline = { ...pipelineOptions(manifest), ...(values['pixel-size'] ? { pixelSizeMm: Number(values['pixel-size']) } : {}) };
const [lo, hi] = values.contrast.split(',').map(Number) as [number, number];
const HARD_NEGATIVES = Number(values['hard-negatives']);
const minedManifest = values.mine ? modelManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(values.mine, 'manifest.json'), 'utf8'))) : null;
const mined = values.mine ? (await openSession(path.join(values.mine, 'model.onnx'), ['cpu'], { intraOpNumThreads: 2 })).session : null;
const CLASS = { mass: 'mass', calcification_cluster: 'calcification', architectural_distortion: 'architectural_distortion', asymmetry: 'asymmetry' } as Record<string, string>;

fs.mkdirSync(values.out, { recursive: true });
const data = fs.openSync(path.join(values.out, 'patches.u16'), 'w');
const index: unknown[] = [];

interface TruthFile {
  seed: string;
  patient: { density: string };
  exam: { variant: string };
  lesions: { id: string; contrast: number }[];
  images: { file: string; key: string; forProcessing: boolean; lesions: { id: string; class: string; sizeMm: number; centerPx: [number, number]; bboxPx: [number, number, number, number] }[] }[];
}

async function takePatches(examDir: string, rng: Random): Promise<void> {
  const truth = JSON.parse(fs.readFileSync(path.join(examDir, 'ground-truth.json'), 'utf8')) as TruthFile;
  for (const image of truth.images) {
    if (image.forProcessing) continue;
    const frame = await decodeFrame(path.join(examDir, '..', '..', image.file));
    const input = prepareModelInput(frame, pipeline);
    const lesions = image.lesions.map((l) => {
      const [x0, y0, x1, y1] = mapBox(input.fromStored, [l.bboxPx[0] - 0.5, l.bboxPx[1] - 0.5, l.bboxPx[2] + 0.5, l.bboxPx[3] + 0.5]);
      return { class: CLASS[l.class] ?? l.class, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: x1 - x0, h: y1 - y0, sizeMm: l.sizeMm, contrast: truth.lesions.find((t) => t.id === l.id)?.contrast ?? null };
    });
    const centres: [number, number, boolean, number?][] = lesions.map((l) => [l.cx + rng.range(-0.3, 0.3) * P, l.cy + rng.range(-0.3, 0.3) * P, true]);
    const modelScores = new Map<number, number>();
    if (mined) {
      const out = (await mined.run({ [minedManifest!.input.tensor.name]: new Tensor('float32', input.pixels, [1, 1, input.height, input.width]) }))[minedManifest!.output.heatmap!.tensor]!;
      const [, , hh, hw] = out.dims as [number, number, number, number];
      const stride = input.width / hw;
      const heat = out.data as Float32Array;
      // each lesion: the best score of its class over the heatmap pixels its box touches
      lesions.forEach((l, k) => {
        const c = (minedManifest!.output.heatmap!.classes as readonly string[]).indexOf(l.class);
        let best = -Infinity;
        const u0 = Math.floor((l.cx - l.w / 2) / stride), u1 = Math.floor((l.cx + l.w / 2) / stride);
        const v0 = Math.floor((l.cy - l.h / 2) / stride), v1 = Math.floor((l.cy + l.h / 2) / stride);
        for (let v = Math.max(0, v0); v <= Math.min(hh - 1, v1); v++) {
          for (let u = Math.max(0, u0); u <= Math.min(hw - 1, u1); u++) best = Math.max(best, heat[(c * hh + v) * hw + u]!);
        }
        if (Number.isFinite(best)) modelScores.set(k, 1 / (1 + Math.exp(-best)));
      });
      // its strongest marks of any class more than 15 mm from every lesion's edge
      const far = (x: number, y: number) => lesions.every((l) => Math.hypot(x - l.cx, y - l.cy) > 15 / (pipeline.pixelSizeMm ?? 0.1) + Math.max(l.w, l.h) / 2);
      const peaks = heatmapPeaks(heat, out.dims, { floor: 0.02, minDistance: 6, maxPerChannel: 10, activation: 'sigmoid' })
        .map((p) => ({ ...p, x: (p.u + 0.5) * stride - 0.5, y: (p.v + 0.5) * stride - 0.5 }))
        .filter((p) => far(p.x, p.y) && p.x < input.width && p.y < input.height)
        .sort((a, b) => b.score - a.score);
      const taken: { x: number; y: number }[] = [];
      for (const p of peaks) {
        if (taken.length >= HARD_NEGATIVES) break;
        // one patch per place: marks of two classes at one spot are one hard place
        if (taken.some((t) => Math.hypot(t.x - p.x, t.y - p.y) < P / 4)) continue;
        taken.push(p);
        centres.push([p.x + rng.range(-0.1, 0.1) * P, p.y + rng.range(-0.1, 0.1) * P, false, p.score]);
      }
    }
    // lesion-free tissue: centres inside the breast (input above 0.05), away from the lesions
    for (let k = 0, tries = 0; k < Number(values.negatives) && tries < 200; tries++) {
      const x = rng.range(0, input.width), y = rng.range(0, input.height);
      if ((input.pixels[Math.floor(y) * input.width + Math.floor(x)] ?? 0) < 0.05) continue;
      centres.push([x, y, false]);
      k++;
    }
    if (/MLO/.test(image.key)) {
      // chest wall on the left, top at the top: the muscle is a triangle in the top-left corner
      for (let k = 0; k < PECTORAL_NEGATIVES; k++) {
        centres.push([P * rng.range(0.3, 0.7), P * (0.5 + 0.8 * k) + P * rng.range(-0.2, 0.2), false]);
      }
    }
    for (const [cx, cy, positive, hard] of centres) {
      const left = Math.round(cx - P / 2), top = Math.round(cy - P / 2);
      const patch = new Uint16Array(P * P);
      for (let v = 0; v < P; v++) {
        const y = top + v;
        if (y < 0 || y >= input.height) continue;
        for (let u = 0; u < P; u++) {
          const x = left + u;
          if (x < 0 || x >= input.width) continue;
          patch[v * P + u] = Math.round(Math.min(1, Math.max(0, input.pixels[y * input.width + x]!)) * 65535);
        }
      }
      fs.writeSync(data, Buffer.from(patch.buffer));
      index.push({
        seed: truth.seed, density: truth.patient.density, variant: truth.exam.variant, view: image.key, positive,
        ...(hard !== undefined ? { hard } : {}),
        lesions: lesions.map((l, k) => ({ ...l, cx: l.cx - left, cy: l.cy - top, ...(modelScores.has(k) ? { modelScore: modelScores.get(k) } : {}) })).filter((l) => l.cx > -l.w / 2 && l.cy > -l.h / 2 && l.cx < P + l.w / 2 && l.cy < P + l.h / 2),
      });
    }
  }
}

const started = performance.now();
for (const seed of values.seeds.split(',')) {
  const dir = path.join(values.out, `dicom-${seed}`);
  const rng = new Random(`patches/${seed}`);
  const pending: Promise<void>[] = [];
  let chain = Promise.resolve();
  await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed, patients: Number(values.patients), priors: 0, size: 'full', variants: true, abnormalRate: Number(values['abnormal-rate']), contrast: [lo, hi] }, dir, {
    onExam: ({ dicomFiles }) => {
      // one exam at a time on this thread, while the workers render the next ones
      chain = chain.then(() => takePatches(path.dirname(dicomFiles[0]!), rng)).then(() => { for (const f of dicomFiles) fs.rmSync(f); });
      pending.push(chain);
    },
  });
  await Promise.all(pending);
  fs.rmSync(dir, { recursive: true, force: true });
  // the index so far after every seed: a set cut short still trains on the seeds it finished
  fs.fsyncSync(data);
  // written whole, then renamed: a run stopped while it writes keeps the last seed's index
  fs.writeFileSync(path.join(values.out, 'patches.json.part'), JSON.stringify({ patch: P, pixelSizeMm: pipeline.pixelSizeMm, patches: index }));
  fs.renameSync(path.join(values.out, 'patches.json.part'), path.join(values.out, 'patches.json'));
  console.log(`${seed}: ${index.length} patches so far, ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
fs.closeSync(data);
