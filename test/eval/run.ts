// npm run eval -- --seeds s1,s2 [--patients N] [--model FOLDER] [--out DIR] [--calibrate] [--no-real] [--figures N]
//
// Runs a model through the station's own pipeline (main/ai/image-analysis.ts, as the AI worker
// does) over a freshly generated synthetic set and prints: FROC per class (sensitivity at 0.25,
// 0.5, 1, 2 and 4 false marks per image), case-level AUC with a bootstrap 95 % interval, FROC by
// lesion contrast band and by density class, what the model's operating points give, and what it
// marks on the real mammograms of ../shared/data/dicom. The curves are written as a PNG (drawn as
// SVG, rasterised by Chromium; the SVG alone where Chromium is absent) with the figures as JSON.
//
// The set uses the generator's realistic lesion contrast (EVALUATION_CONTRAST), not the demo's
// exaggerated one. Seeds a model was trained or calibrated on (its train/seeds.json) are refused.
// --figures N: the first N images with a lesion and N without, reduced, with the ground truth
// (green) and the marks at the default operating point (orange), as PNGs to check by eye.
// --calibrate: the seeds must be the model's validation seeds; the operating points found on them
// are written into its manifest.json (with the model file's checksum).
// --keep-sets DIR: the generated sets are kept in DIR and read from there by later runs with the
// same seed, women and abnormal rate (the generator is deterministic for them): comparing several
// candidate models on one set then costs their model runs, not the set's generation each time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkModelFolder, sha256OfFile } from '../../main/ai/model-package.ts';
import { analyzeImage } from '../../main/ai/image-analysis.ts';
import type { ImageAnalysis } from '../../main/ai/image-analysis.ts';
import { scoreExamImages } from '../../main/ai/two-view.ts';
import { describeModelProblem } from '../../common/ai/model-problems.ts';
import { PIXEL_FAILURE_CODES } from '../../common/ai/not-read.ts';
import { translate } from '../../common/i18n/messages.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS, EVALUATION_CONTRAST, CONTRAST_BANDS } from '../../main/synth/plan.ts';
import { decodeFrame } from '../../main/dicom/pixels/decode.ts';
import { log } from '../../main/base/log.ts';
import { ROOT, SHARED_DICOM } from '../helpers/paths.ts';
import { CHROMIUM_PATH } from '../helpers/browser.ts';
import { aucWithInterval, caseAucLine, examThresholdAtSpecificity, frocCurve, match, perLesion, sensitivityAt, targetLine } from './froc.ts';
import type { EvalImage, FrocPoint, Lesion } from './froc.ts';
import { frocSvg } from './plot.ts';
import { drawFigure } from './figures.ts';

log.setLevel('warn');
const USAGE = `usage: npm run eval -- --seeds s1,s2 [--patients N (20)] [--model FOLDER (the shipped model)] [--out DIR] [--abnormal-rate R (0.5: each woman's chance of a lesion)]
  [--figures N (example images drawn)] [--keep-sets DIR (the generated sets kept there, reused next time)] [--no-real] [--calibrate (validation seeds only)]
A model evaluated on freshly generated exams of the given seeds (never its training or validation seeds): FROC per class,
by contrast band and density, case AUC with a bootstrap 95 % interval, the FROC curves as a PNG, its marks on real images.`;
const OPTIONS = {
  seeds: { type: 'string' }, patients: { type: 'string', default: '20' }, model: { type: 'string' }, out: { type: 'string' },
  calibrate: { type: 'boolean', default: false }, 'no-real': { type: 'boolean', default: false }, 'abnormal-rate': { type: 'string', default: '0.5' },
  figures: { type: 'string', default: '0' }, 'keep-sets': { type: 'string' }, help: { type: 'boolean', default: false },
} as const;
// an unknown option is said with the options there are, not thrown as a stack trace
const values = (() => {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
if (values.help) { console.log(USAGE); process.exit(0); }
if (!values.seeds) { console.error(USAGE); process.exit(2); }
const seeds = values.seeds.split(',').map((s) => s.trim()).filter(Boolean);
// a set of no women, or an odd rate, is no evaluation: refused with the reason, not run as an empty one
const usageError = (said: string) => { console.error(`${said}\n${USAGE}`); process.exit(2); };
if (!seeds.length) usageError('--seeds names no seed');
if (new Set(seeds).size !== seeds.length) usageError(`--seeds names a seed twice: ${seeds.join(', ')} (the same women counted twice)`);
if (!/^[1-9]\d{0,3}$/.test(values.patients)) usageError(`--patients must be a whole number from 1 to 9999, not ${JSON.stringify(values.patients)}`);
const abnormalRate = Number(values['abnormal-rate']);
if (!(abnormalRate > 0 && abnormalRate <= 1)) usageError(`--abnormal-rate must be above 0 and at most 1, not ${JSON.stringify(values['abnormal-rate'])}`);
const modelFolder = path.resolve(values.model ?? path.join(ROOT, 'models', 'binome-synth-detector'));
const outDir = path.resolve(values.out ?? path.join(os.tmpdir(), `binome-eval-${Date.now()}`));
const RATES = [0.25, 0.5, 1, 2, 4];
/** The share of normal exams the worklist's flag leaves unflagged, as a screening programme's recall rate sets it (about one in ten recalled). */
const EXAM_SPECIFICITY = 0.9;
const GENERATOR_CLASS: Record<string, string> = { calcification_cluster: 'calcification' };

// seeds the model has seen are not an evaluation
const seedsFile = path.join(modelFolder, 'train', 'seeds.json');
// calibration rewrites the manifest (its checksum too): only with the model's own list of validation seeds
if (values.calibrate && !fs.existsSync(seedsFile)) usageError(`--calibrate needs the model's train/seeds.json (its validation seeds): ${seedsFile} is not there`);
if (fs.existsSync(seedsFile)) {
  const seen = JSON.parse(fs.readFileSync(seedsFile, 'utf8')) as { training: string[]; validation: string[] };
  const trained = seeds.filter((s) => seen.training.includes(s));
  if (trained.length) { console.error(`refused: the model was trained on seed(s) ${trained.join(', ')}`); process.exit(2); }
  const validation = seeds.filter((s) => seen.validation.includes(s));
  if (values.calibrate && validation.length !== seeds.length) { console.error(`--calibrate takes the model's validation seeds (${seen.validation.join(', ')})`); process.exit(2); }
  if (!values.calibrate && validation.length) { console.error(`refused: seed(s) ${validation.join(', ')} calibrated the model; evaluate on seeds it has never seen`); process.exit(2); }
}

const checked = await checkModelFolder(modelFolder, { providers: ['cpu'] });
if (!checked.ok) {
  // calibration may run before the manifest holds the new model's checksum
  if (!(values.calibrate && checked.problem.code === 'checksum_mismatch')) { console.error(`model refused: ${describeModelProblem('en', checked.problem)}`); process.exit(2); }
}
const manifestPath = path.join(modelFolder, 'manifest.json');
if (!checked.ok) {
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  manifest.sha256 = await sha256OfFile(path.join(modelFolder, 'model.onnx'));
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
}
const model = checked.ok ? checked.model : (await checkModelFolder(modelFolder, { providers: ['cpu'] }) as Extract<Awaited<ReturnType<typeof checkModelFolder>>, { ok: true }>).model;
const manifest = model.manifest;
const session = model.opened.session;
const classes = manifest.output.heatmap?.classes ?? manifest.output.boxes?.classes ?? [];
const floor = 0.02;
try {
  fs.mkdirSync(outDir, { recursive: true });
  fs.accessSync(outDir, fs.constants.W_OK);
} catch (error) {
  usageError(`--out ${outDir}: not a folder that can be written (${(error as { code?: string }).code ?? 'error'})`);
}
console.log(`Evaluation of ${manifest.name} ${manifest.version} (${manifest.id}), trained on ${manifest.training.data} images${manifest.intendedUse.notForDiagnosticUse ? ', not for diagnostic use' : ''}`);
console.log(`seeds ${seeds.join(', ')}: ${values.patients} women each, current exams only, lesion contrast ${EVALUATION_CONTRAST.join('–')} (realistic), abnormal rate ${values['abnormal-rate']}, full size, every variant`);

interface Truth {
  patient: { density: string };
  exam: { variant: string };
  abnormal: boolean;
  lesions: { id: string; contrast: number; sizeMm: number }[];
  images: { file: string; key: string; viewLabel: string; forProcessing: boolean; pixelSpacing: number; lesions: { id: string; class: string; sizeMm: number; bboxPx: [number, number, number, number] }[] }[];
}

const images: (EvalImage & { density: string; exam: string; view: string; variant: string })[] = [];
const figureCount = Number(values.figures);
/** The default operating point's threshold: the marks a reader sees. */
const defaultThreshold = manifest.calibration.operatingPoints.find((p) => p.name === manifest.calibration.defaultOperatingPoint)!.threshold;
const figures = { withLesion: 0, without: 0 };
const figurePage = figureCount > 0 && CHROMIUM_PATH ? await (await (await import('playwright-core')).chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] })).newPage() : null;
const cases: { exam: string; positive: boolean; score: number; density: string }[] = [];
const started = performance.now();
let modelMs = 0;
/** Images the model did not read, by why (an image with no breast, a breast larger than a fixed input): kept in the figures with no mark, as the station shows them. */
const unread = new Map<string, number>();
for (const seed of seeds) {
  const kept = values['keep-sets'] ? path.resolve(values['keep-sets'], `set-${seed}-${values.patients}-${values['abnormal-rate']}`) : null;
  const dir = kept ?? path.join(outDir, `set-${seed}`);
  const listFile = kept && path.join(kept, 'ground-truth-files.json');
  let groundTruthFiles: string[];
  const reused = listFile !== null && fs.existsSync(listFile);
  if (reused) {
    groundTruthFiles = JSON.parse(fs.readFileSync(listFile!, 'utf8')) as string[];
  } else {
    fs.rmSync(dir, { recursive: true, force: true }); // a set cut short is made again whole
    groundTruthFiles = (await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed, patients: Number(values.patients), priors: 0, size: 'full', variants: true, abnormalRate: Number(values['abnormal-rate']), contrast: EVALUATION_CONTRAST }, dir)).groundTruthFiles;
    // written last: its presence says the set is whole
    if (listFile) fs.writeFileSync(listFile, JSON.stringify(groundTruthFiles));
  }
  for (const gt of groundTruthFiles) {
    const truth = JSON.parse(fs.readFileSync(path.join(dir, gt), 'utf8')) as Truth;
    // as the station scores an exam (main/ai/analysis.ts): from the bottom of the model's scale, not 0
    let examScore = manifest.output.scoreScale.min;
    const read: { image: Truth['images'][number]; viewLabel: string; laterality: 'R' | 'L'; findings: ImageAnalysis['findings']; imageScore: number }[] = [];
    for (const image of truth.images) {
      const view = image.viewLabel.replace(/^[RL]/, '').replace(/ID$/, '');
      if (image.forProcessing || !manifest.input.views.includes(view as never)) continue;
      // weighed across views as the station weighs them (two-view.ts): partners below the floor shown count
      let result: ImageAnalysis;
      try {
        result = await analyzeImage(path.join(dir, image.file), manifest, session, { floor: Math.min(floor, manifest.output.twoView?.partnerFloor ?? floor) });
      } catch (error) {
        // what the station says of an image it does not read (no breast, a breast larger than the model's
        // fixed input): its lesions count as missed, not the whole evaluation ended (a vendor's probe)
        const e = error as { name?: string; code?: string };
        if (e?.name !== 'PixelDataError' || !e.code || !PIXEL_FAILURE_CODES[e.code]) throw error;
        unread.set(e.code, (unread.get(e.code) ?? 0) + 1);
        result = { findings: [], imageScore: manifest.output.scoreScale.min, timings: { decodeMs: 0, preprocessMs: 0, modelMs: 0, postprocessMs: 0 }, input: { width: 0, height: 0 } };
      }
      modelMs += result.timings.modelMs;
      read.push({ image, viewLabel: image.viewLabel, laterality: image.viewLabel[0] as 'R' | 'L', findings: result.findings, imageScore: result.imageScore });
    }
    for (const [i, scored] of scoreExamImages(read, manifest.output, floor).entries()) {
      const { image } = read[i]!;
      examScore = Math.max(examScore, scored.imageScore);
      const lesions: Lesion[] = image.lesions.map((l) => {
        const whole = truth.lesions.find((t) => t.id === l.id)!;
        return { id: l.id, class: GENERATOR_CLASS[l.class] ?? l.class, box: l.bboxPx, sizeMm: whole.sizeMm, contrast: whole.contrast };
      });
      images.push({ key: `${seed}/${image.file}`, exam: `${seed}/${gt}`, view: image.viewLabel, density: truth.patient.density, variant: truth.exam.variant, spacingMm: image.pixelSpacing, lesions, marks: scored.findings.map((f) => ({ class: f.class, score: f.score, x: f.x, y: f.y })) });
      const kind = lesions.length ? 'withLesion' : 'without';
      if (figurePage && figures[kind] < figureCount) {
        figures[kind]++;
        const name = `figure-${kind === 'withLesion' ? 'lesion' : 'normal'}-${figures[kind]}.png`;
        await drawFigure(figurePage, await decodeFrame(path.join(dir, image.file)), lesions, images.at(-1)!.marks.filter((m) => m.score >= defaultThreshold),
          `${seed} ${image.viewLabel} (${truth.patient.density}): ground truth green, marks ≥ ${defaultThreshold.toFixed(3)} orange — synthetic, not for diagnosis`, path.join(outDir, name));
      }
    }
    cases.push({ exam: `${seed}/${gt}`, positive: truth.abnormal, score: examScore, density: truth.patient.density });
  }
  if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  console.log(`  ${seed}: ${groundTruthFiles.length} exams ${reused ? 'read from the kept set' : 'generated and read'} (${((performance.now() - started) / 1000).toFixed(0)} s so far)`);
}

const pct = (v: number) => (Number.isNaN(v) ? '  –  ' : v.toFixed(2).padStart(5));
const curves: { label: string; curve: FrocPoint[] }[] = [];
function frocRow(label: string, cls: string | null, counts?: (l: Lesion) => boolean, subset = images, plot = true, byLesion = false) {
  const views = match(subset, cls, counts);
  const matched = byLesion ? perLesion(views, (e) => `${subset[e.image]!.exam}#${e.lesion.id}`) : views;
  const curve = frocCurve(matched, subset.length);
  const n = matched.lesionScores.length;
  // a class with no lesion in the set has no sensitivity: its curve would be a line at 0, read as "finds none"
  if (plot) curves.push({ label, curve: n ? curve : [] });
  const at = RATES.map((r) => (n ? sensitivityAt(curve, r).sensitivity : NaN));
  console.log(`${label.padEnd(34)} ${String(n).padStart(7)}  ${at.map(pct).join('  ')}`);
  return { label, lesions: n, sensitivity: Object.fromEntries(RATES.map((r, i) => [r, at[i]])), curve };
}

const header = `${'lesion views (marks of the same class)'.padEnd(34)} ${'lesions'.padStart(7)}  ${RATES.map((r) => `@${r}`.padStart(5)).join('  ')}   (sensitivity at false marks per image)`;
const readCount = images.length - [...unread.values()].reduce((a, b) => a + b, 0);
console.log(`\n${images.length} images, ${cases.length} exams (${cases.filter((c) => c.positive).length} with a lesion); model ${(modelMs / Math.max(1, readCount)).toFixed(0)} ms per image on the CPU`);
if (unread.size) console.log(`NOT READ by the model, counted with no mark (their lesions missed): ${[...unread].map(([code, n]) => `${n} image(s) (${translate('en', `ai.unread.${PIXEL_FAILURE_CODES[code]}` as MessageKey)})`).join(', ')}`);
console.log(`\nFROC per class\n${header}`);
const rows = [
  ...classes.map((c) => frocRow(c, c)),
  // (a model without a mass class finds no mass: a row of zeros read as its failure, a vendor's probe)
  ...(classes.includes('mass') ? [frocRow('mass ≥ 8 mm', 'mass', (l) => l.sizeMm >= 8)] : []),
  frocRow('any class (marks of any class)', null),
];
// beside the per-view figures (the targets' own): a lesion marked in either of its views, as she reads both
console.log(`\nFROC per class, a lesion found in either of its views (false marks still per image)\n${header.replace('lesion views', 'lesions     ')}`);
const lesionRows = [
  ...classes.map((c) => frocRow(c, c, undefined, images, false, true)),
  ...(classes.includes('mass') ? [frocRow('mass ≥ 8 mm', 'mass', (l) => l.sizeMm >= 8, images, false, true)] : []),
  frocRow('any class (marks of any class)', null, undefined, images, false, true),
];
console.log(`\nFROC by lesion contrast (any class)\n${header}`);
const bands = CONTRAST_BANDS.map((b) => frocRow(`contrast ${b.name} [${b.range[0]}, ${b.range[1]})`, null, (l) => l.contrast >= b.range[0] && l.contrast < b.range[1], images, false));
console.log(`\nFROC by density class (any class; false marks on that class's images)\n${header}`);
const densities = ['A', 'B', 'C', 'D'].map((d) => frocRow(`density ${d} (${images.filter((i) => i.density === d).length} images)`, null, undefined, images.filter((i) => i.density === d), false));

// the generator's variants (an implant's edge, MONOCHROME1, a second detector): where false marks gather
console.log(`\nBy exam variant (any class, at the default operating point, threshold ${defaultThreshold.toFixed(3)})\n${'variant'.padEnd(34)} ${'images'.padStart(7)}  false marks per image   lesion views found`);
const variants = [...new Set(images.map((i) => i.variant))].sort().map((variant) => {
  const subset = images.filter((i) => i.variant === variant);
  const m = match(subset, null);
  const falsePerImage = m.falseScores.filter((s) => s >= defaultThreshold).length / subset.length;
  const found = m.lesionScores.filter((l) => l.score >= defaultThreshold).length;
  console.log(`${variant.padEnd(34)} ${String(subset.length).padStart(7)}  ${falsePerImage.toFixed(2).padStart(21)}   ${found} of ${m.lesionScores.length}`);
  return { variant, images: subset.length, falsePerImage, lesionViews: m.lesionScores.length, found };
});

const caseAuc = aucWithInterval(cases);
const examScoreSource = manifest.output.imageScore ? 'the model\'s image score' : 'its best mark';
const aucFigure = Number.isNaN(caseAuc.auc) ? 'not measurable' : `${caseAuc.auc.toFixed(3)} [95 % CI ${caseAuc.low.toFixed(3)}–${caseAuc.high.toFixed(3)}]`;
console.log(`\nCase AUC (exam score = the best image's, as the station scores it: ${examScoreSource}): ${aucFigure}, ${cases.filter((c) => c.positive).length} exams with a lesion, ${cases.filter((c) => !c.positive).length} without`);

// operating points: on the validation seeds, found; otherwise, what the manifest's give here
const anyCurve = rows.at(-1)!.curve;
const targets = [{ name: 'high-specificity', falseMarksPerImage: 0.25 }, { name: 'balanced', falseMarksPerImage: 0.5 }, { name: 'high-sensitivity', falseMarksPerImage: 1 }];
if (values.calibrate) {
  const json = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const dataset = `validation seeds ${seedList(seeds, 'to')} (${cases.length} synthetic exams, ${images.length} images, contrast ${EVALUATION_CONTRAST.join('–')})`;
  // said to a French reader in French (contract 1.6): "jeux", not "germes" (a seed's word-for-word French a radiologist did not read)
  const datasetTranslations = { fr: `${cases.length} examens synthétiques de validation (jeux ${seedList(seeds, 'à')}\u202f; ${images.length} images, contraste ${EVALUATION_CONTRAST.map((c) => String(c).replace('.', ',')).join('–')})` };
  const operatingPoints = targets.map((t) => {
    const { sensitivity, threshold } = sensitivityAt(anyCurve, t.falseMarksPerImage);
    return { name: t.name, threshold: Number(threshold.toFixed(4)), sensitivity: Number(sensitivity.toFixed(3)), falseMarksPerImage: t.falseMarksPerImage, dataset, datasetTranslations };
  });
  // too few marks or lesions for a point (one woman): the manifest is left as it was, not given a threshold of null
  const missing = operatingPoints.filter((p) => !Number.isFinite(p.threshold) || !Number.isFinite(p.sensitivity));
  if (missing.length) {
    console.error(`not calibrated: no threshold found for ${missing.map((p) => p.name).join(', ')} on ${dataset} (too few women or lesions); the manifest is unchanged`);
    process.exit(1);
  }
  // where the worklist flags an exam: nine normal exams in ten under it (contract 1.3)
  const examPoint = examThresholdAtSpecificity(cases, EXAM_SPECIFICITY);
  if (!examPoint) {
    console.error(`not calibrated: no exam threshold at a specificity of ${EXAM_SPECIFICITY} on ${dataset} (too few normal exams); the manifest is unchanged`);
    process.exit(1);
  }
  json.calibration = {
    operatingPoints, defaultOperatingPoint: 'balanced',
    examOperatingPoint: { threshold: Number(examPoint.threshold.toFixed(4)), specificity: Number(examPoint.specificity.toFixed(3)), sensitivity: Number(examPoint.sensitivity.toFixed(3)), dataset, datasetTranslations },
  };
  if (['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'].includes(json.contractVersion)) json.contractVersion = '1.6';
  json.sha256 = await sha256OfFile(path.join(modelFolder, 'model.onnx'));
  fs.writeFileSync(manifestPath, JSON.stringify(json, null, 2) + '\n');
  console.log(`\nCalibrated on ${dataset}; written to ${path.relative(ROOT, manifestPath)}:`);
  for (const p of json.calibration.operatingPoints) console.log(`  ${p.name.padEnd(17)} threshold ${p.threshold.toFixed(3)}  sensitivity ${p.sensitivity.toFixed(2)} at ≤ ${p.falseMarksPerImage} false marks per image`);
  const e = json.calibration.examOperatingPoint;
  console.log(`  exams flagged at an exam score of ${e.threshold.toFixed(3)} or more: specificity ${e.specificity.toFixed(2)}, sensitivity ${e.sensitivity.toFixed(2)} (exams)`);
} else {
  console.log('\nThe manifest\'s operating points here (any class):');
  for (const p of manifest.calibration.operatingPoints) {
    const point = [...anyCurve].reverse().find((q) => q.threshold >= p.threshold) ?? anyCurve[0]!;
    console.log(`  ${p.name.padEnd(17)} threshold ${p.threshold.toFixed(3)}: sensitivity ${point.sensitivity.toFixed(2)} at ${point.falsePerImage.toFixed(2)} false marks per image${p.name === manifest.calibration.defaultOperatingPoint ? ' (default)' : ''}`);
  }
  // the worklist's flag: at the exam point where the manifest has one, else at the marks' default point
  const flagged = (threshold: number) => {
    const normal = cases.filter((c) => !c.positive);
    const positive = cases.filter((c) => c.positive);
    // a share of none is not measurable (it printed "specificity NaN" on a set of abnormal exams alone: a probe)
    const share = (n: number, of: number) => (of ? (n / of).toFixed(2) : 'not measurable');
    return `specificity ${share(normal.filter((c) => c.score < threshold).length, normal.length)} (${normal.filter((c) => c.score >= threshold).length} of ${normal.length} normal exams flagged), sensitivity ${share(positive.filter((c) => c.score >= threshold).length, positive.length)} (of ${positive.length} exams with a lesion)`;
  };
  const defaultPoint = manifest.calibration.operatingPoints.find((p) => p.name === manifest.calibration.defaultOperatingPoint)!;
  console.log(`Exams flagged in the worklist${manifest.calibration.examOperatingPoint ? '' : ' (no exam operating point: at the marks\' default point)'}:`);
  if (manifest.calibration.examOperatingPoint) console.log(`  at its exam operating point, ${manifest.calibration.examOperatingPoint.threshold.toFixed(3)}: ${flagged(manifest.calibration.examOperatingPoint.threshold)}`);
  console.log(`  at the marks' default point, ${defaultPoint.threshold.toFixed(3)}: ${flagged(defaultPoint.threshold)}`);
}

// the real mammograms: a model that marks them all over has learned the generator, not lesions
const real: { file: string; marks: number; best: number; classes: Record<string, number> }[] = [];
if (!values['no-real'] && fs.existsSync(SHARED_DICOM)) {
  const defaultPoint = manifest.calibration.operatingPoints.find((p) => p.name === manifest.calibration.defaultOperatingPoint)!;
  const threshold = values.calibrate ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')).calibration.operatingPoints.find((p: { name: string }) => p.name === 'balanced').threshold : defaultPoint.threshold;
  console.log(`\nReal mammograms in ${path.relative(ROOT, SHARED_DICOM)} (marks at the default operating point, threshold ${Number(threshold).toFixed(3)}):`);
  for (const file of walk(SHARED_DICOM)) {
    let frame;
    try { frame = await decodeFrame(file); } catch { continue; }
    const h = frame.header;
    // digital mammograms (For Presentation, For Processing) of a real size
    if (h.rows < 512 || h.columns < 512 || !h.sopClassUid?.startsWith('1.2.840.10008.5.1.4.1.1.1.2')) continue;
    try {
      const result = await analyzeImage(file, manifest, session, { floor: threshold });
      const byClass: Record<string, number> = {};
      for (const f of result.findings) byClass[f.class] = (byClass[f.class] ?? 0) + 1;
      real.push({ file: path.relative(SHARED_DICOM, file), marks: result.findings.length, best: result.imageScore, classes: byClass });
      console.log(`  ${path.relative(SHARED_DICOM, file).padEnd(34)} ${h.columns}×${h.rows}: ${result.findings.length} mark(s) ${JSON.stringify(byClass)}, best score ${result.imageScore.toFixed(3)}`);
    } catch (error) {
      console.log(`  ${path.relative(SHARED_DICOM, file)}: not read (${(error as Error).message})`);
    }
  }
} else if (!values['no-real']) {
  // said, not silently left out: what the model marks on real images is part of the evaluation
  console.log(`\nReal mammograms: ${SHARED_DICOM} is not there; not run (the shared data set lies beside the project's folder).`);
}

// the issue's targets, for the classes the model has: a model without a class is not said to miss
// it, nor a set without a lesion of a class (it said "calcification clusters – (target ≥ 0.9: MISSED)")
const target = (label: string, row: { lesions: number; sensitivity: Record<number, number> } | undefined, goal: number, modelClass: string, what: string) =>
  targetLine(label, row?.sensitivity[1] ?? NaN, goal, { lesions: row?.lesions ?? 0, modelClass, modelClasses: classes, what });
const massBig = rows.find((r) => r.label === 'mass ≥ 8 mm');
const calc = rows.find((r) => r.label === 'calcification');
fs.writeFileSync(path.join(outDir, 'eval.json'), JSON.stringify({
  model: { id: manifest.id, version: manifest.version }, seeds, patients: Number(values.patients), contrast: EVALUATION_CONTRAST, images: images.length, notRead: Object.fromEntries(unread), exams: cases.length,
  froc: rows.map(({ curve: _c, ...r }) => r), frocPerLesion: lesionRows.map(({ curve: _c, ...r }) => r), bands: bands.map(({ curve: _c, ...r }) => r), densities: densities.map(({ curve: _c, ...r }) => r), variants, caseAuc, real,
  // every image's marks (where, in stored pixels) and ground truth, and every exam: other exam scores, matchings and post-processing can be studied without reading the images again
  perImage: images.map((i) => ({ key: i.key, exam: i.exam, view: i.view, variant: i.variant, lesions: i.lesions.map((l) => ({ id: l.id, class: l.class, sizeMm: l.sizeMm, contrast: l.contrast, box: l.box })),
    marks: i.marks.map((m) => ({ class: m.class, score: Number(m.score.toFixed(4)), x: Math.round(m.x), y: Math.round(m.y) })), spacingMm: i.spacingMm })),
  cases,
}, null, 2));
const png = await writePlot(frocSvg(curves, `${manifest.name} ${manifest.version} — FROC on seeds ${seeds.join(', ')} (synthetic images)`), outDir);
console.log(`\nFROC curves: ${png}; every image's marks and the figures: ${path.join(outDir, 'eval.json')}`);
console.log(`eval: ${target('mass ≥ 8 mm sensitivity at 1 false mark/image', massBig, 0.9, 'mass', 'mass of 8 mm or more')}; ${target('calcification clusters', calc, 0.9, 'calcification', 'calcification cluster')}; ${caseAucLine(cases, caseAuc, 0.95)}`);
await session.release();
await figurePage?.context().browser()?.close();

function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile() && /\.dcm$/i.test(e.name)) yield full;
  }
}

async function writePlot(svg: string, dir: string): Promise<string> {
  const svgFile = path.join(dir, 'froc.svg');
  fs.writeFileSync(svgFile, svg);
  if (!CHROMIUM_PATH) return `${svgFile} (no PNG: Chromium is not installed)`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    const pngFile = path.join(dir, 'froc.png');
    await page.screenshot({ path: pngFile });
    return pngFile;
  } finally {
    await browser.close();
  }
}

/**
 * Seeds as an operating point's dataset names them: a run of one name numbered one by one as its
 * ends ("val-0 to val-7"), else each (the eight named one by one filled four lines of the worklist's hint at 1280 px).
 */
function seedList(seeds: readonly string[], to: string): string {
  const numbered = seeds.map((s) => /^(.*?)(\d+)$/.exec(s));
  const run = seeds.length > 2 && numbered.every((m, i) => m && m[1] === numbered[0]![1] && Number(m[2]) === Number(numbered[0]![2]) + i);
  return run ? `${seeds[0]} ${to} ${seeds.at(-1)}` : seeds.join(', ');
}
