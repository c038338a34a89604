// The synthetic exam generator: determinism, DICOM conformance, anatomy, lesions, priors, variants.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateDemo } from '../../main/synth/demo.ts';
import type { DemoSummary } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS, DETECTORS, VARIANTS, planPatient } from '../../main/synth/plan.ts';
import type { DemoOptions } from '../../main/synth/plan.ts';
import { produceImage } from '../../main/synth/produce.ts';
import { anatomyToPixel, renderView } from '../../main/synth/render.ts';
import { makeWoman, projectPoint } from '../../main/synth/anatomy.ts';
import { Random } from '../../main/synth/random.ts';
import { powerLawField } from '../../main/synth/texture.ts';
import { decodeLossless } from '../../main/dicom/codecs.ts';
import { parseDicom } from '../../main/dicom/parse.ts';
import type { ParsedInstance } from '../../main/dicom/parse.ts';
import { parseOperationInput } from '../../common/api.ts';
import { spectralExponent } from '../helpers/spectrum.ts';
import { openTestStation } from '../helpers/station.ts';
import { tempDir } from '../helpers/paths.ts';
import dcmjs from 'dcmjs';

// BINOME_SYNTH_SEED runs the whole suite on another seed (e.g. one the project has never used).
const OPTIONS: DemoOptions = { ...DEFAULT_DEMO_OPTIONS, patients: 6, priors: 1, seed: process.env.BINOME_SYNTH_SEED || 'test-suite', abnormalRate: 1, contrast: [1.0, 1.4] };
let outDir = '';
let demo: DemoSummary;

interface Truth {
  patient: { id: string; density: string };
  exam: { studyInstanceUid: string; isPrior: boolean; variant: string; priorStudyInstanceUids: string[] };
  abnormal: boolean;
  breasts: Record<'R' | 'L', { abnormal: boolean; lesions: string[] }>;
  lesions: { id: string; class: string; side: 'R' | 'L'; sizeMm: number; clock: string; change: string; contrast: number }[];
  images: { file: string; key: string; viewLabel: string; forProcessing: boolean; rows: number; columns: number; imagerPixelSpacing: number; storedFlipped: boolean; photometric: string; nipplePx: [number, number];
    lesions: { id: string; class: string; sizeMm: number; centerPx: [number, number]; bboxPx: [number, number, number, number] }[] }[];
}
const truths = (): Truth[] => demo.groundTruthFiles.map((f) => JSON.parse(fs.readFileSync(path.join(outDir, f), 'utf8')) as Truth);

const CODEC_OF: Record<string, 'jpeg-ls' | 'htj2k' | 'j2k'> = {
  '1.2.840.10008.1.2.4.80': 'jpeg-ls', '1.2.840.10008.1.2.4.201': 'htj2k', '1.2.840.10008.1.2.4.90': 'j2k',
};
const decodedCache = new Map<string, Uint16Array>();

function readImage(file: string): { parsed: ParsedInstance; pixels: Uint16Array; natural: Record<string, unknown> } {
  const bytes = fs.readFileSync(file);
  const parsed = parseDicom(bytes) as ParsedInstance;
  const natural = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)).dict);
  const frame = (natural.PixelData as ArrayBuffer[])[0]!;
  const codec = CODEC_OF[parsed.transferSyntaxUid];
  const pixels = codec ? decodedCache.get(file) ?? new Uint16Array(0) : new Uint16Array(frame.slice(0));
  return { parsed, pixels, natural };
}

/** Decodes the compressed files once (decoding is asynchronous), so readImage can stay synchronous. */
async function decodeCompressed(files: string[]): Promise<void> {
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const parsed = parseDicom(bytes) as ParsedInstance;
    const codec = CODEC_OF[parsed.transferSyntaxUid];
    if (!codec) continue;
    const natural = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)).dict);
    decodedCache.set(file, await decodeLossless(codec, new Uint8Array((natural.PixelData as ArrayBuffer[])[0]!)));
  }
}

before(async () => {
  outDir = tempDir('synth');
  demo = await generateDemo(OPTIONS, outDir, { workers: 2 });
  await decodeCompressed(demo.dicomFiles);
});

test('a demo set: every variant, current and prior exams, ground truth per exam', () => {
  assert.equal(demo.patients, 6);
  assert.equal(demo.exams, 12);
  assert.equal(demo.groundTruthFiles.length, 12);
  const variants = new Set(truths().map((t) => t.exam.variant));
  assert.deepEqual([...variants].sort(), [...VARIANTS].sort());
  for (const t of truths()) {
    assert.ok(t.images.length >= 4);
    for (const img of t.images) assert.ok(fs.existsSync(path.join(outDir, img.file)), img.file);
  }
});

test('the same seed gives byte-identical files, with or without worker threads; another seed does not', async () => {
  const options = { ...OPTIONS, patients: 2, priors: 1 };
  const a = tempDir('synth-a');
  const b = tempDir('synth-b');
  const c = tempDir('synth-c');
  const ra = await generateDemo(options, a, { workers: 2 });
  await generateDemo(options, b, { workers: 1 });
  await generateDemo({ ...options, seed: 'another-seed' }, c, { workers: 1 });
  for (const file of ra.dicomFiles) {
    const rel = path.relative(a, file);
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(path.join(b, rel))), rel);
  }
  for (const gt of ra.groundTruthFiles) assert.equal(fs.readFileSync(path.join(a, gt), 'utf8'), fs.readFileSync(path.join(b, gt), 'utf8'));
  const first = readImage(ra.dicomFiles[0]!);
  const otherFile = fs.readdirSync(c, { recursive: true }).map(String).find((f) => f.endsWith('RCC.dcm'))!;
  const other = readImage(path.join(c, otherFile));
  let differing = 0;
  for (let i = 0; i < Math.min(first.pixels.length, other.pixels.length); i++) if (first.pixels[i] !== other.pixels[i]) differing++;
  assert.ok(differing > first.pixels.length * 0.2, 'a different seed gives a different image');
});

test('DICOM attributes of a For Presentation screening image', () => {
  const t = truths().find((x) => x.exam.variant === 'standard' && !x.exam.isPrior)!;
  const labels = Object.fromEntries(t.images.map((img) => [img.viewLabel, img]));
  const orientation: Record<string, string[]> = { RCC: ['P', 'L'], LCC: ['A', 'R'], RMLO: ['P', 'FL'], LMLO: ['A', 'FR'] };
  const views: Record<string, string> = { CC: '399162004', MLO: '399368009' };
  for (const label of ['RCC', 'LCC', 'RMLO', 'LMLO']) {
    const { parsed: p, natural: n } = readImage(path.join(outDir, labels[label]!.file));
    assert.equal(p.sopClassUid, '1.2.840.10008.5.1.4.1.1.1.2');
    assert.equal(p.series.modality, 'MG');
    assert.equal(p.presentationIntent, 'FOR PRESENTATION');
    assert.equal(p.imageLaterality, label[0]);
    assert.equal(p.viewPosition, label.slice(1));
    assert.deepEqual(p.viewCode, { value: views[label.slice(1)]!, scheme: 'SCT', meaning: label.endsWith('CC') ? 'cranio-caudal' : 'medio-lateral oblique' });
    assert.equal(p.viewLabel, label);
    assert.deepEqual(p.patientOrientation, orientation[label]);
    assert.deepEqual(p.imagerPixelSpacing, [0.28, 0.28]);
    assert.deepEqual(p.pixelSpacing, [0.28, 0.28]);
    assert.equal(p.estimatedRadiographicMagnificationFactor, 1);
    assert.ok(p.bitsStored! >= 12 && p.bitsStored! <= 14);
    assert.equal(p.windowCenters.length, 3);
    assert.ok(p.windowWidths.every((w) => w > 0));
    assert.equal(p.breastImplantPresent, false);
    assert.equal(p.partialView, false);
    assert.equal(n.BodyPartExamined, 'BREAST');
    assert.match(String(n.Manufacturer), /synthetic/i);
    assert.match(String(n.ImageComments), /not a patient/);
    assert.equal(p.study.uid, t.exam.studyInstanceUid);
    assert.equal(p.patient.id, t.patient.id);
  }
});

test('full size: a realistic detector matrix at 0.07 mm', async () => {
  const options = { ...OPTIONS, size: 'full' as const, patients: 1, priors: 0 };
  const patient = planPatient(options, 0);
  const exam = patient.exams[0]!;
  assert.deepEqual([exam.detector.rows, exam.detector.columns, exam.detector.spacing], [3328, 2560, 0.07]);
  const dir = tempDir('synth-full');
  const truth = await produceImage(patient, exam, exam.images[0]!, dir);
  const { parsed } = readImage(path.join(dir, truth.file));
  assert.deepEqual([parsed.rows, parsed.columns], [3328, 2560]);
  assert.deepEqual(parsed.imagerPixelSpacing, [0.07, 0.07]);
  assert.deepEqual([DETECTORS.B.full.rows, DETECTORS.B.full.columns, DETECTORS.B.full.spacing], [2294, 1914, 0.1]);
});

test('every generated object passes dciodvfy without errors', { skip: spawnSync('which', ['dciodvfy']).status === 0 ? false : 'dciodvfy is not installed (apt-get install dicom3tools)' }, () => {
  const failures: string[] = [];
  for (const file of demo.dicomFiles) {
    const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
    const errors = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
    if (errors.length) failures.push(`${path.relative(outDir, file)}: ${errors.join(' | ')}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(demo.dicomFiles.length >= 60);
});

test('images show an air background, a breast and its nipple where the ground truth puts it', () => {
  for (const t of truths()) for (const img of t.images.filter((i) => !i.key.includes('CCM') && !i.key.includes('CCS'))) {
    const { pixels, parsed } = readImage(path.join(outDir, img.file));
    const value = (x: number, y: number) => {
      const v = pixels[Math.round(y) * img.columns + Math.round(x)]!;
      return parsed.photometricInterpretation === 'MONOCHROME1' ? (1 << parsed.bitsStored!) - 1 - v : v;
    };
    // Patient Orientation's row direction says where the chest wall is: P, on the right; A, on the left
    const chestWallRight = (img as unknown as { patientOrientation: string[] }).patientOrientation[0] === 'P';
    const air = value(chestWallRight ? 2 : img.columns - 3, img.rows - 3);
    const inside = value(img.nipplePx[0] + (chestWallRight ? 40 : -40), img.nipplePx[1]);
    if (img.forProcessing) continue; // raw detector signal: air is the brightest
    assert.ok(inside > air + 200, `${img.file}: breast (${inside}) brighter than air (${air})`);
  }
});

test('lesion ground truth: inside the breast, in both views of its breast, at consistent depth', () => {
  let checked = 0;
  for (const t of truths()) {
    for (const lesion of t.lesions) {
      assert.ok(lesion.sizeMm > 0);
      assert.match(lesion.clock, /o'clock|subareolar/);
      assert.ok(t.breasts[lesion.side].lesions.includes(lesion.id));
      const cc = t.images.find((i) => i.viewLabel === `${lesion.side}CC` && !i.forProcessing)!;
      const mlo = t.images.find((i) => i.viewLabel === `${lesion.side}MLO` && !i.forProcessing)!;
      const inCC = cc.lesions.find((l) => l.id === lesion.id);
      const inMLO = mlo.lesions.find((l) => l.id === lesion.id);
      assert.ok(inCC && inMLO, `${lesion.id} is in both the CC and the MLO view`);
      for (const [img, l] of [[cc, inCC], [mlo, inMLO]] as const) {
        const [x0, y0, x1, y1] = l.bboxPx;
        assert.ok(x0 <= l.centerPx[0] && l.centerPx[0] <= x1 && y0 <= l.centerPx[1] && l.centerPx[1] <= y1, 'centre inside its box');
        assert.ok(x0 >= 0 && y0 >= 0 && x1 < img.columns && y1 < img.rows, 'box inside the image');
        const { pixels, parsed } = readImage(path.join(outDir, img.file));
        let v = pixels[Math.round(l.centerPx[1]) * img.columns + Math.round(l.centerPx[0])]!;
        if (parsed.photometricInterpretation === 'MONOCHROME1') v = (1 << parsed.bitsStored!) - 1 - v;
        assert.ok(v > 500, `${lesion.id} centre lies inside the breast (${v})`);
      }
      // distance behind the nipple, measured along the image's chest-wall axis, agrees within 1 cm
      const depth = (img: typeof cc, l: typeof inCC) => Math.abs(img.nipplePx[0] - l!.centerPx[0]) * img.imagerPixelSpacing;
      assert.ok(Math.abs(depth(cc, inCC) - depth(mlo, inMLO)) < 10, `${lesion.id}: CC ${depth(cc, inCC).toFixed(1)} mm vs MLO ${depth(mlo, inMLO).toFixed(1)} mm`);
      checked++;
    }
    assert.equal(t.abnormal, t.lesions.length > 0);
  }
  assert.ok(checked >= 4, `checked ${checked} lesions`);
});

test('priors show the same breasts (correlated tissue) and differ where the ground truth says', () => {
  const options = OPTIONS;
  let compared = 0;
  for (let p = 0; p < 6; p++) {
    const patient = planPatient(options, p);
    if (patient.variant !== 'standard' && patient.variant !== 'monochrome1-sigmoid') continue;
    const [current, prior] = patient.exams;
    const gt = truths().filter((t) => t.patient.id === patient.woman.patientId);
    const gtCurrent = gt.find((t) => !t.exam.isPrior)!;
    const gtPrior = gt.find((t) => t.exam.isPrior)!;
    assert.deepEqual(gtCurrent.exam.priorStudyInstanceUids, [prior!.studyInstanceUid]);
    for (const lesion of gtCurrent.lesions) {
      const before = gtPrior.lesions.find((l) => l.id === lesion.id);
      if (lesion.change === 'new') assert.equal(before, undefined, `${lesion.id} is new: absent from the prior`);
      if (lesion.change === 'stable') assert.equal(before?.sizeMm, lesion.sizeMm);
      if (lesion.change === 'grown') assert.ok(before && before.sizeMm < lesion.sizeMm, `${lesion.id} grew`);
    }
    // sample both exams' RCC at the same anatomical points (through each acquisition's transform)
    const img = (exam: typeof current) => exam!.images.find((i) => i.key === 'RCC')!;
    const file = (t: Truth) => path.join(outDir, t.images.find((i) => i.key === 'RCC')!.file);
    const a = readImage(file(gtCurrent)), b = readImage(file(gtPrior));
    const other = readImage(path.join(outDir, truths().find((t) => t.patient.id !== patient.woman.patientId && !t.exam.isPrior)!.images.find((i) => i.key === 'RCC')!.file));
    const det = current!.detector;
    const at = (px: Uint16Array, acq: ReturnType<typeof img>['acquisition'], u: number, w: number) => {
      const [x, y] = anatomyToPixel(acq, det, 'CC', u, w).map(Math.round) as [number, number];
      return px[y * det.columns + x]!;
    };
    const xs: number[] = [], ys: number[] = [], zs: number[] = [];
    const shape = patient.woman.breasts.R.views.CC;
    for (let u = 10; u < shape.depth * 0.75; u += 2) for (let w = -shape.extentDown * 0.6; w < shape.extentUp * 0.6; w += 2) {
      xs.push(at(a.pixels, img(current).acquisition, u, w));
      ys.push(at(b.pixels, img(prior).acquisition, u, w));
      zs.push(at(other.pixels, img(current).acquisition, u, w));
    }
    const corr = (p: number[], q: number[]) => {
      const mp = p.reduce((s, v) => s + v, 0) / p.length, mq = q.reduce((s, v) => s + v, 0) / q.length;
      let n = 0, dp = 0, dq = 0;
      for (let i = 0; i < p.length; i++) { n += (p[i]! - mp) * (q[i]! - mq); dp += (p[i]! - mp) ** 2; dq += (q[i]! - mq) ** 2; }
      return n / Math.sqrt(dp * dq);
    };
    const same = corr(xs, ys), different = corr(xs, zs);
    assert.ok(same > 0.6, `prior and current of the same breast correlate (${same.toFixed(2)})`);
    assert.ok(same > different + 0.3, `more than another woman's breast does (${same.toFixed(2)} vs ${different.toFixed(2)})`);
    compared++;
  }
  assert.ok(compared >= 2);
});

test('a new mass shows on the current exam and not on the prior, at the same anatomical place', () => {
  // find a woman (deterministically) whose current exam has a new mass
  let found: { patient: ReturnType<typeof planPatient>; lesionId: string; side: 'R' | 'L' } | null = null;
  for (let i = 0; i < 60 && !found; i++) {
    const patient = planPatient({ ...OPTIONS, variants: false, seed: 'new-mass' }, i);
    for (const side of ['R', 'L'] as const) {
      const lesion = patient.woman.breasts[side].lesions.find((l) => l.kind === 'mass' && l.change === 'new');
      if (lesion) { found = { patient, lesionId: lesion.id, side }; break; }
    }
  }
  assert.ok(found, 'a woman with a new mass');
  const { patient, lesionId, side } = found;
  const breast = patient.woman.breasts[side];
  const lesion = breast.lesions.find((l) => l.id === lesionId)!;
  const [current, prior] = patient.exams;
  const det = current!.detector;
  const spec = (exam: typeof current) => exam!.images.find((i) => i.key === `${side}CC`)!;
  const a = renderView(breast, 'CC', spec(current).acquisition, det);
  const b = renderView(breast, 'CC', spec(prior).acquisition, det);
  assert.equal(a.lesions.length, 1);
  assert.equal(b.lesions.length, 0, 'the prior shows no lesion');
  const at = (img: typeof a, acq: ReturnType<typeof spec>['acquisition'], u: number, w: number) => {
    const [x, y] = anatomyToPixel(acq, det, 'CC', u, w).map(Math.round) as [number, number];
    return img.presentation[y * det.columns + x]!;
  };
  const shape = breast.views.CC;
  const centre = projectPoint(shape, lesion.depth, lesion.superior, lesion.lateral);
  const diff = (u: number, w: number) => at(a, spec(current).acquisition, u, w) - at(b, spec(prior).acquisition, u, w);
  const atLesion: number[] = [];
  for (let du = -1.5; du <= 1.5; du += 0.5) for (let dw = -1.5; dw <= 1.5; dw += 0.5) atLesion.push(diff(centre.u + du, centre.w + dw));
  const elsewhere: number[] = [];
  for (let u = 15; u < shape.depth * 0.7; u += 3) for (let w = -shape.extentDown * 0.5; w < shape.extentUp * 0.5; w += 3) {
    if (Math.hypot(u - centre.u, w - centre.w) > lesion.size) elsewhere.push(Math.abs(diff(u, w)));
  }
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  elsewhere.sort((x, y) => x - y);
  const typical = elsewhere[Math.floor(elsewhere.length / 2)]!;
  assert.ok(mean(atLesion) > 3 * typical && mean(atLesion) > 50, `brighter where the new mass is (${mean(atLesion).toFixed(0)}) than the typical prior–current difference (${typical.toFixed(0)})`);
});

test('a prior\'s breast moved off the chest-wall edge leaves air there, above and below the breast: no grey band the image\'s height (two radiologists\' probes read one as a detector artefact)', () => {
  const woman = makeWoman(new Random('band-test'), 'SYNTEST', { abnormalRate: 0, contrast: [1, 1], density: 'B' });
  const det = DETECTORS.A.reduced;
  // du < 0: the prior's acquisition drew the breast 3 mm away from the detector's chest-wall edge
  const view = renderView(woman.breasts.R, 'CC', { ku: 1, kw: 1, du: -3, dw: 0, thicknessScale: 1, glandScale: 1, noiseSeed: 'n', lesionScale: new Map() }, det);
  // canonical layout: the chest wall on the right (the last columns); the top and bottom rows hold no breast
  const edgeColumns = Math.ceil(3 / det.spacing);
  for (const y of [0, 1, det.rows - 2, det.rows - 1]) {
    for (let x = det.columns - edgeColumns; x < det.columns; x++) {
      const v = view.presentation[y * det.columns + x]!;
      assert.ok(v < 40, `row ${y}, column ${x}: ${v}, not air`);
    }
  }
});

test('density classes A to D raise the glandular fraction', () => {
  const fractions = (['A', 'B', 'C', 'D'] as const).map((density) => {
    const woman = makeWoman(new Random('density-test'), 'SYNTEST', { abnormalRate: 0, contrast: [1, 1], density });
    const view = renderView(woman.breasts.R, 'CC', { ku: 1, kw: 1, du: 0, dw: 0, thicknessScale: 1, glandScale: 1, noiseSeed: 'n', lesionScale: new Map() }, DETECTORS.A.reduced);
    return view.glandularFraction;
  });
  for (let i = 1; i < 4; i++) assert.ok(fractions[i]! > fractions[i - 1]!, `glandular fraction by class: ${fractions.map((f) => f.toFixed(2)).join(' < ')}`);
});

test('texture has a power-law spectrum with an exponent near 3, in the field and in the images', () => {
  const field = powerLawField(new Random('beta-test'), { x0: 0, y0: 0, x1: 100, y1: 100, beta: 3, coarsest: 0.14 * 256, finest: 0.14 });
  const n = 256;
  const patch = new Float32Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) patch[y * n + x] = field.sample(20 + x * 0.14, 20 + y * 0.14);
  const beta = spectralExponent(patch, n, 0.14, [0.1, 1]);
  assert.ok(beta > 2.7 && beta < 3.3, `field β = ${beta.toFixed(2)}`);
  // a rendered image (reduced size: 0.28 mm pixels), patches inside the breast
  const t = truths().find((x) => x.exam.variant === 'standard' && !x.exam.isPrior)!;
  const cc = t.images.find((i) => i.key === 'RCC')!;
  const { pixels } = readImage(path.join(outDir, cc.file));
  const m = 64;
  const roi = new Float32Array(m * m);
  const x0 = Math.round(cc.nipplePx[0] + 40), y0 = Math.round(cc.nipplePx[1] - m / 2);
  for (let y = 0; y < m; y++) for (let x = 0; x < m; x++) roi[y * m + x] = pixels[(y0 + y) * cc.columns + x0 + x]!;
  const imageBeta = spectralExponent(roi, m, 0.28, [0.05, 0.8]);
  assert.ok(imageBeta > 2 && imageBeta < 4, `image β = ${imageBeta.toFixed(2)}`);
});

test('variants: MONOCHROME1 with SIGMOID, flipped storage with For Processing twins, extra views, implant, two detectors', async () => {
  const byVariant = (v: string, prior = false) => truths().find((t) => t.exam.variant === v && t.exam.isPrior === prior)!;
  const mono = readImage(path.join(outDir, byVariant('monochrome1-sigmoid').images[0]!.file));
  assert.equal(mono.parsed.photometricInterpretation, 'MONOCHROME1');
  assert.equal(mono.parsed.voiLutFunction, 'SIGMOID');
  assert.equal(mono.natural.PresentationLUTShape, 'INVERSE');

  const flipped = byVariant('flipped-for-processing');
  const rcc = readImage(path.join(outDir, flipped.images.find((i) => i.key === 'RCC')!.file));
  assert.deepEqual(rcc.parsed.patientOrientation, ['A', 'L']); // chest wall on the left: flip to display
  assert.ok(flipped.images.find((i) => i.key === 'RCC')!.storedFlipped);
  const processing = flipped.images.filter((i) => i.forProcessing);
  assert.equal(processing.length, 4);
  const proc = readImage(path.join(outDir, processing[0]!.file));
  assert.equal(proc.parsed.sopClassUid, '1.2.840.10008.5.1.4.1.1.1.2.1');
  assert.equal(proc.parsed.presentationIntent, 'FOR PROCESSING');

  const extra = byVariant('additional-views');
  const labels = extra.images.map((i) => i.viewLabel);
  const side = labels.find((l) => l.endsWith('XCCL'))![0];
  assert.ok(labels.includes(`${side}XCCL`) && labels.includes(`${side}SCC`) && labels.includes(`${side}MCC`), labels.join(' '));
  const mag = readImage(path.join(outDir, extra.images.find((i) => i.viewLabel === `${side}MCC`)!.file));
  assert.equal(mag.parsed.estimatedRadiographicMagnificationFactor, 1.8);
  assert.ok(Math.abs(mag.parsed.pixelSpacing![0] - 0.28 / 1.8) < 1e-4);
  assert.equal(mag.parsed.transferSyntaxUid, '1.2.840.10008.1.2.4.80'); // JPEG-LS lossless

  const implant = byVariant('implant');
  const id = readImage(path.join(outDir, implant.images.find((i) => i.viewLabel === 'RCCID')!.file));
  assert.equal(id.parsed.breastImplantPresent, true);
  assert.equal(id.parsed.transferSyntaxUid, '1.2.840.10008.1.2.4.90'); // JPEG 2000 lossless

  const current = readImage(path.join(outDir, byVariant('two-detectors').images[0]!.file));
  const prior = readImage(path.join(outDir, byVariant('two-detectors', true).images[0]!.file));
  assert.deepEqual(current.parsed.imagerPixelSpacing, [0.28, 0.28]);
  assert.deepEqual(prior.parsed.imagerPixelSpacing, [0.4, 0.4]);
  assert.equal(prior.parsed.bitsStored, 14);
});

test('compressed pixel data decodes to exactly the pixels a native file would hold', async () => {
  const patient = planPatient({ ...OPTIONS, transferSyntax: 'htj2k' }, 0);
  const exam = patient.exams[0]!;
  const dir = tempDir('synth-codec');
  const htj2k = await produceImage(patient, exam, exam.images[0]!, dir);
  const nativeDir = tempDir('synth-native');
  const nativePatient = planPatient({ ...OPTIONS, transferSyntax: 'explicit' }, 0);
  const native = await produceImage(nativePatient, nativePatient.exams[0]!, nativePatient.exams[0]!.images[0]!, nativeDir);
  assert.equal(htj2k.transferSyntaxUid, '1.2.840.10008.1.2.4.201');
  const encoded = readImage(path.join(dir, htj2k.file)).natural.PixelData as ArrayBuffer[];
  const decoded = await decodeLossless('htj2k', new Uint8Array(encoded[0]!));
  const reference = readImage(path.join(nativeDir, native.file)).pixels;
  assert.equal(decoded.length, reference.length);
  assert.ok(decoded.every((v, i) => v === reference[i]));
});

test('every variant imports into the worklist, with its priors found', async () => {
  const station = openTestStation();
  try {
    const summary = await station.handlers.importPaths({ paths: demo.dicomFiles });
    assert.deepEqual([summary.imported, summary.rejected, summary.duplicates], [demo.dicomFiles.length, 0, 0]);
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { limit: 100 }));
    assert.equal(page.total, 12);
    for (const t of truths().filter((x) => !x.exam.isPrior)) {
      const row = page.rows.find((r) => r.studyInstanceUid === t.exam.studyInstanceUid)!;
      const detail = await station.handlers.examDetail({ examId: row.examId });
      assert.equal(detail.priors.filter((p) => p.isPrior).length, 1, t.patient.id);
      assert.deepEqual(row.views.slice(0, 4), ['RCC', 'LCC', 'RMLO', 'LMLO']);
      const instances = detail.series.flatMap((s) => s.instances);
      assert.equal(instances.length, t.images.length);
      assert.equal(instances.filter((i) => i.forProcessing).length, t.images.filter((i) => i.forProcessing).length);
    }
  } finally {
    await station.close();
  }
});

test('accession numbers are per seed as patient IDs are, within DICOM\'s 16 characters', () => {
  // two demo sets gave two women the same accession number (SYN000030), a search by it found both (a probe)
  const options = { ...DEFAULT_DEMO_OPTIONS, priors: 3 };
  const accessions = (seed: string) => [0, 1].flatMap((index) => planPatient({ ...options, seed }, index).exams.map((e) => e.accessionNumber));
  const [a, b] = [accessions('accession-a'), accessions('accession-b')];
  assert.equal(new Set([...a, ...b]).size, a.length + b.length, `${a.join(' ')} / ${b.join(' ')}`);
  for (const accession of [...a, ...b]) assert.ok(accession.length <= 16 && /^[A-Z0-9]+$/.test(accession), accession);
  assert.deepEqual(accessions('accession-a'), a, 'the same seed, the same numbers');
});
