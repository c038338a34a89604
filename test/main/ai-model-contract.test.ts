// The model contract: a model folder (model.onnx + manifest.json) is accepted only when its manifest
// follows the contract, its checksum is its file's, the ONNX runtime opens it and its tensors are
// the manifest's; anything else is refused with a reason a person can act on (in English and
// French), and the other models are still found. Providers: one that cannot load here is skipped,
// the CPU runs the model, and the result says which provider ran and why the others did not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { comparableName, modelManifestSchema } from '../../common/ai/model-manifest.ts';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import { resultsDigest } from '../../main/ai/manifest-digest.ts';
import { describeModelProblem } from '../../common/ai/model-problems.ts';
import { fixedInputField } from '../../common/ai/model-field.ts';
import { checkModelFolder, discoverModels } from '../../main/ai/model-package.ts';
import { compareVersions, discoverModelFolders } from '../../main/ai/model-discovery.ts';
import { whyNotRead } from '../../main/ai/analysis.ts';
import type { InstanceDetail } from '../../common/domain.ts';
import { openSession, providerExistsOn } from '../../main/ai/execution-provider.ts';
import { brightestBoxModel, brokenOutputModel, fixtureManifest, tinyDetectorModel, tinyDetectorWeights } from '../helpers/onnx-models.ts';
import type { TinyModelOptions } from '../helpers/onnx-models.ts';
import { tempDir } from '../helpers/paths.ts';
import { waitFor } from '../helpers/wait.ts';
import { execFileSync } from 'node:child_process';

function manifestFor(model: Uint8Array, change: (m: ModelManifest) => void = () => undefined): ModelManifest {
  return fixtureManifest(model, { id: 'org.binome.tests.tiny', name: 'Tiny test detector', classes: 2, imageScore: true, spacingMm: 0.4, threshold: 0.5 }, change);
}

/** A model folder under `root`: the model's bytes and a manifest (by default, one that matches them). */
function writeModel(root: string, name: string, options: { model?: TinyModelOptions; bytes?: Uint8Array; manifest?: unknown; change?: (m: ModelManifest) => void } = {}): string {
  const folder = path.join(root, name);
  fs.mkdirSync(folder, { recursive: true });
  const bytes = options.bytes ?? tinyDetectorModel(options.model);
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  const manifest = options.manifest ?? manifestFor(bytes, options.change);
  fs.writeFileSync(path.join(folder, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  return folder;
}

async function refusal(folder: string) {
  const checked = await checkModelFolder(folder);
  assert.equal(checked.ok, false, `${folder} was accepted`);
  const { problem } = checked as Extract<typeof checked, { ok: false }>;
  for (const locale of ['en', 'fr'] as const) assert.doesNotMatch(describeModelProblem(locale, problem), /…\}|\{\w+\}/);
  return { problem, en: describeModelProblem('en', problem), fr: describeModelProblem('fr', problem) };
}

test('a model folder that follows the contract is accepted, opened on the CPU, and runs', async () => {
  const root = tempDir('models');
  const checked = await checkModelFolder(writeModel(root, 'tiny'));
  assert.ok(checked.ok, JSON.stringify(checked));
  const { model } = checked as Extract<typeof checked, { ok: true }>;
  try {
    assert.equal(model.manifest.id, 'org.binome.tests.tiny');
    assert.equal(model.opened.provider, 'cpu');
    const out = await model.opened.session.run({ image: new Tensor('float32', new Float32Array([0, 0, 0, 0]), [1, 1, 2, 2]) });
    assert.deepEqual(out.heatmap!.dims, [1, 2, 2, 2]);
    assert.equal((out.image_score!.data as Float32Array)[0], 0.5);
  } finally {
    await model.opened.session.release();
  }
});

test('bad manifests are refused with the field and the reason, in English and French', async () => {
  const root = tempDir('models-bad');
  const cases: [string, Parameters<typeof writeModel>[2], RegExp][] = [
    ['not-json', { manifest: '{ "contractVersion": "1.0", ' }, /manifest\.json is not valid JSON/],
    ['wrong-version', { change: (m) => { (m as { contractVersion: string }).contractVersion = '0.9'; } }, /contractVersion: /],
    ['no-face', { change: (m) => { delete (m.input as Partial<ModelManifest['input']>).faceDirection; } }, /input\.faceDirection: missing \(Invalid option: expected one of "left"\|"right"\)/],
    ['bad-class', { change: (m) => { (m.output.heatmap!.classes as string[]) = ['mass', 'tumour']; } }, /output\.heatmap\.classes\.1: /],
    ['no-outputs', { change: (m) => { delete m.output.heatmap; } }, /a model gives heatmaps, boxes, or both/],
    ['default-op', { change: (m) => { m.calibration.defaultOperatingPoint = 'high-sensitivity'; } }, /the default operating point is one of the operating points/],
    ['synthetic-diagnostic', { change: (m) => { m.intendedUse.notForDiagnosticUse = false; } }, /trained on synthetic images is not for diagnostic use/],
    ['probability', { change: (m) => { m.output.scoreScale.semantics = 'probability'; } }, /a probability says at which prevalence/],
    // inputs no mammography model has, which would cost gigabytes an image: a 16384² matrix, 0.001 mm pixels
    ['huge-matrix', { change: (m) => { m.input.size = { mode: 'fixed', height: 16384, width: 16384 }; } }, /input\.size\.height: /],
    ['tiny-pixels', { change: (m) => { m.input.spacingMm = 0.001; } }, /input\.spacingMm: /],
    // lists sent with every exam's results: bounded (a probe's 1,800 limits made a 900 KB manifest)
    ['many-limits', { change: (m) => { m.intendedUse.limits = Array.from({ length: 21 }, (_, i) => `limit ${i}`); } }, /intendedUse\.limits: /],
    // a shape that contradicts input.size loaded, then failed every image of every exam (a vendor's probe)
    ['padded-fixed-shape', { change: (m) => { m.input.tensor.shape = [1, 1, 512, 256]; } }, /input\.tensor\.shape: the height and width of the shape disagree with input\.size/],
    ['fixed-other-shape', { change: (m) => { m.input.size = { mode: 'fixed', height: 512, width: 512 }; m.input.tensor.shape = [1, 1, 256, 256]; } }, /input\.tensor\.shape: the height and width/],
    ['channels-last', { change: (m) => { m.input.tensor.shape = [1, 'H', 'W', 1] as never; } }, /input\.tensor\.shape\.1: one or three channels, before the height and width \(N, C, H, W or C, H, W\): 1, grey levels; 3, the same grey levels in each/],
    ['batch-of-two', { change: (m) => { m.input.tensor.shape = [2, 1, 'H', 'W']; } }, /input\.tensor\.shape\.0: one image at a time: the shape is N, C, H, W with N = 1 \(or a name\), or C, H, W/],
    ['two-channels', { change: (m) => { m.input.tensor.shape = [1, 2, 'H', 'W'] as never; } }, /input\.tensor\.shape\.1: one or three channels/],
    // a mean and a standard deviation for each channel, or one number for all of them
    ['means-short', { change: (m) => { m.input.tensor.shape = [1, 3, 'H', 'W']; m.input.normalize = { type: 'mean-std', mean: [0.485, 0.456], std: 0.2 }; } }, /input\.normalize: a mean and a standard deviation for each channel of input\.tensor\.shape/],
    ['stds-long', { change: (m) => { m.input.normalize = { type: 'mean-std', mean: 0.5, std: [0.229, 0.224, 0.225] }; } }, /input\.normalize: a mean and a standard deviation for each channel/],
    // a misspelt optional key was dropped without a word, and the model given an input it was not made for (its marks hundreds of pixels off)
    ['misspelt-padding', { change: (m) => { (m.input as Record<string, unknown>).pading = { placement: 'centred', value: 0.447 }; } }, /input: Unrecognized key: "pading" \(not a key of the model contract: misspelt\?\)/],
    // a station of contract 1.0 dropped the keys it did not know: a manifest using 1.1's says so, and such a station refuses it
    // a required top-level key misspelt: the one missing is said, and the stray one beside it named
    ['misspelt-calibration', { change: (m) => { (m as Record<string, unknown>).calibraton = m.calibration; delete (m as Partial<ModelManifest>).calibration; } },
      /calibration: missing \(Invalid input: expected object, received undefined\) \(the manifest has "calibraton", which the contract does not know: misspelt\?\)/],
    ['padding-in-1.0', { change: (m) => { m.input.padding = { placement: 'centred', value: 0.447 }; } }, /contractVersion: input\.padding and input\.crop are contract 1\.1: contractVersion '1\.1'/],
    ['contract-2.0', { change: (m) => { (m as { contractVersion: string }).contractVersion = '2.0'; } }, /contractVersion: /],
    // scores weighed across views (1.2): a station of an older contract would show them unweighed against thresholds set on weighed ones
    ['two-view-in-1.1', { change: (m) => { m.contractVersion = '1.1'; m.output.twoView = { toleranceMm: 10, unsupportedWeight: 0.3, partnerFloor: 0.05 }; } }, /contractVersion: output\.twoView is contract 1\.2: contractVersion '1\.2'/],
    ['two-view-image-score', { change: (m) => { m.contractVersion = '1.2'; m.output.twoView = { toleranceMm: 10, unsupportedWeight: 0.3, partnerFloor: 0.05 }; m.output.imageScore = { tensor: 'score' }; } }, /output\.twoView: output\.twoView weighs findings: not with an image score/],
    ['two-view-weight', { change: (m) => { m.contractVersion = '1.2'; m.output.twoView = { toleranceMm: 10, unsupportedWeight: 1.5, partnerFloor: 0.05 }; } }, /output\.twoView\.unsupportedWeight: /],
    // an exam's flag threshold (1.3): a station of an older contract would flag exams where the marks are drawn
    ['exam-point-in-1.2', { change: (m) => { m.contractVersion = '1.2'; m.calibration.examOperatingPoint = { threshold: 0.3, specificity: 0.9, sensitivity: 0.6, dataset: 'validation' }; } }, /contractVersion: calibration\.examOperatingPoint is contract 1\.3: contractVersion '1\.3'/],
    ['exam-point-no-specificity', { change: (m) => { m.contractVersion = '1.3'; m.calibration.examOperatingPoint = { threshold: 0.3, sensitivity: 0.6, dataset: 'validation' } as never; } }, /calibration\.examOperatingPoint\.specificity: /],
    // a threshold off the score's scale: nothing marked, or everything (a 0–100 vendor's 30 on a 0–1 model)
    ['threshold-off-scale', { change: (m) => { m.calibration.operatingPoints[0]!.threshold = 30; } }, /calibration\.operatingPoints\.0\.threshold: a threshold on the score scale \(output\.scoreScale, from min to max\): 30, on a scale from 0 to 1/],
    ['exam-threshold-off-scale', { change: (m) => { m.contractVersion = '1.3'; m.calibration.examOperatingPoint = { threshold: -0.5, specificity: 0.9, sensitivity: 0.6, dataset: 'validation' }; } }, /calibration\.examOperatingPoint\.threshold: a threshold on the score scale \(output\.scoreScale, from min to max\): -0\.5, on a scale from 0 to 1/],
    ['exam-threshold-at-min', { change: (m) => { m.contractVersion = '1.3'; m.calibration.examOperatingPoint = { threshold: 0, specificity: 0.9, sensitivity: 0.6, dataset: 'validation' }; } }, /calibration\.examOperatingPoint\.threshold: above the score scale's minimum \(output\.scoreScale\.min\): there, every exam would be flagged/],
    ['misspelt-placement', { change: (m) => { m.input.padding = { placement: 'centred', value: 0.447, mode: 'letterbox' } as never; } }, /input\.padding: Unrecognized key: "mode"/],
    ['padding-255', { change: (m) => { m.input.padding = { placement: 'centred', value: 114 }; } }, /input\.padding\.value: from 0 to 1, the pipeline's scale \(ultralytics' grey 114 is 114\/255 = 0\.447\)/],
    ['padding-center', { change: (m) => { m.input.padding = { placement: 'center', value: 0.447 } as never; } }, /input\.padding\.placement: /],
    ['crop-yes', { change: (m) => { m.input.crop = 'yes' as never; } }, /input\.crop: /],
    // any pixel size and a size that follows the image: the input has no size (it loaded, then failed every image as "could not be read")
    ['no-size', { change: (m) => { m.input.spacingMm = null; } }, /input\.size: a model that takes any pixel size \(spacingMm null\) takes a fixed matrix/],
    // what the station does not make, said so rather than given anyway
    ['monochrome1-as-stored', { change: (m) => { (m.input.pixels as Record<string, unknown>).invertMonochrome1 = false; } }, /input\.pixels\.invertMonochrome1: true: the station always shows MONOCHROME1 images inverted/],
    // what no model may say (probes): images the reader does not see; a sigmoid's scores on another scale (every
    // exam "nothing found"); one class marked by both outputs (each lesion twice); an exam point under every
    // marks point where the exam score is the best mark's (exams flagged only where marked); a 400,000-character version
    ['for-processing', { change: (m) => { m.input.presentationIntent = ['FOR PRESENTATION', 'FOR PROCESSING']; } }, /input\.presentationIntent: \["FOR PRESENTATION"\]: the station analyses the images the reader sees/],
    ['sigmoid-scale', { change: (m) => { m.output.heatmap!.activation = 'sigmoid'; m.output.scoreScale = { semantics: 'uncalibrated', min: 0, max: 100 }; m.calibration.operatingPoints[0]!.threshold = 50; } },
      /output\.scoreScale: from 0 to 1 \(min 0, max 1\): output\.heatmap\.activation "sigmoid" gives scores from 0 to 1/],
    ['class-twice', { change: (m) => { m.output.boxes = { tensor: 'boxes', format: 'xyxy-score-class', classes: ['calcification'] }; } }, /output\.boxes\.classes: classes the heatmap does not mark/],
    ['exam-under-marks', { change: (m) => { m.contractVersion = '1.3'; m.output.breastScore = 'max-over-findings'; m.calibration.examOperatingPoint = { threshold: 0.3, specificity: 0.9, sensitivity: 0.6, dataset: 'validation' }; } },
      /calibration\.examOperatingPoint\.threshold: at or above the lowest operating point's threshold: the exam score is its best mark's/],
    ['long-version', { change: (m) => { m.version = `1.0.0-${'x'.repeat(100)}`; } }, /version: at most 64 characters/],
    // a value named twice: a list written by hand or by a faulty tool
    ['intent-twice', { change: (m) => { m.input.presentationIntent = ['FOR PRESENTATION', 'FOR PRESENTATION']; } }, /input\.presentationIntent: each value once/],
    ['view-twice', { change: (m) => { m.input.views = ['CC', 'MLO', 'CC']; } }, /input\.views: each value once/],
    // a float16 model: told what to change, not "expected "float32"" alone (a vendor's probe)
    ['float16-input', { change: (m) => { m.input.tensor.dtype = 'float16' as never; } }, /input\.tensor\.dtype: "float32": the station gives a model 32-bit floats; a model made for float16 \(or another type\) takes them where its graph casts its input \(a Cast node\)/],
    ['stored-values', { change: (m) => { (m.input.pixels as Record<string, unknown>).range = 'stored-values'; } }, /input\.pixels\.range: 'float01': the station gives values from 0 \(air\) to 1/],
    // a section's keys put at the top level, where the contract lets unknown keys be: refused, not dropped unread (a
    // vendor's probe: its exam point, two-view weighing and "not for diagnostic use: false" ignored, the exams flagged at the marks' point)
    ['top-level-section-keys', { change: (m) => { Object.assign(m, { examOperatingPoint: { threshold: 0.6, specificity: 0.9, sensitivity: 0.8, dataset: 'validation' }, twoView: { toleranceMm: 15 }, description: 'a vendor\'s own key: let be' }); } },
      /"examOperatingPoint": belongs in calibration \(calibration\.examOperatingPoint\), where it is read; at the top level it is not; "twoView": belongs in output \(output\.twoView\)/],
    // written otherwise, or a key of a section's part (a re-probe: each accepted without a word)
    ['top-level-near-misses', { change: (m) => { Object.assign(m, { ExamOperatingPoint: {}, 'exam_operating_point ': {}, stride: 8, threshold: 0.5 }); } },
      /"ExamOperatingPoint": "examOperatingPoint" misspelt\? belongs in calibration \(calibration\.examOperatingPoint\).*"exam_operating_point ": "examOperatingPoint" misspelt\?.*"stride": belongs in output\.heatmap \(output\.heatmap\.stride\).*"threshold": belongs in calibration\.operatingPoints \(calibration\.operatingPoints\.threshold\)/],
    ['top-level-proto', { manifest: `{"__proto__": {"x": 1}, ${JSON.stringify(manifestFor(tinyDetectorModel())).slice(1)}` }, /__proto__: not a key of the model contract/],
  ];
  for (const [name, options, expected] of cases) {
    const { problem, en, fr } = await refusal(writeModel(root, name, options));
    assert.match(en, expected, name);
    assert.match(en, name === 'not-json' ? /^manifest\.json is not valid JSON/ : /^manifest\.json does not follow the model contract: /, name);
    assert.match(fr, /manifest\.json/, name);
    // the details in French too: zod's own rules and the contract's
    assert.doesNotMatch(fr, /Too big|expected|Invalid|is not for diagnostic use|a model gives|the default operating point/, `${name}: ${fr}`);
    assert.ok(problem.code === 'manifest_unreadable' || problem.code === 'manifest_invalid', name);
  }
  assert.match((await refusal(path.join(root, 'synthetic-diagnostic'))).fr, /n’est pas pour le diagnostic/);
  // a key left out is said missing, not as a wrong value
  assert.match((await refusal(path.join(root, 'no-face'))).fr, /input\.faceDirection\u202f: absent \(Option invalide\u202f: /);
  // zod's French bounds written as French writes them (it said "nombre doit être <=8192", "0.025")
  assert.match((await refusal(path.join(root, 'huge-matrix'))).fr, /input\.size\.height\u202f: Trop grand\u202f: le nombre doit être ≤\u00a08192/);
  assert.match((await refusal(writeModel(root, 'fine-spacing', { change: (m) => { m.input.spacingMm = 0.00001; } }))).fr, /input\.spacingMm\u202f: Trop petit\u202f: le nombre doit être ≥\u00a00,025/);
  assert.match((await refusal(path.join(root, 'float16-input'))).fr, /input\.tensor\.dtype\u202f: «\u202ffloat32\u202f»\u202f: la station donne au modèle des flottants de 32\u00a0bits/);
  assert.match((await refusal(path.join(root, 'padded-fixed-shape'))).fr, /input\.tensor\.shape\u202f: la hauteur et la largeur de la forme contredisent input\.size/);
  assert.match((await refusal(path.join(root, 'batch-of-two'))).fr, /input\.tensor\.shape\.0\u202f: une image à la fois\u202f: la forme est N, C, H, W avec N = 1 \(ou un nom\), ou C, H, W/);
  assert.match((await refusal(path.join(root, 'two-channels'))).fr, /input\.tensor\.shape\.1\u202f: un ou trois canaux, avant la hauteur et la largeur/);
  assert.match((await refusal(path.join(root, 'means-short'))).fr, /input\.normalize\u202f: une moyenne et un écart type pour chaque canal/);
  assert.match((await refusal(path.join(root, 'top-level-section-keys'))).fr, /«\u202fexamOperatingPoint\u202f»\u202f: sa place est dans calibration \(calibration\.examOperatingPoint\), où elle est lue\u202f; au premier niveau, elle ne l’est pas/);
  assert.match((await refusal(path.join(root, 'top-level-near-misses'))).fr, /«\u202fExamOperatingPoint\u202f»\u202f: «\u202fexamOperatingPoint\u202f» mal orthographiée\u202f\? sa place est dans calibration/);
  assert.match((await refusal(path.join(root, 'misspelt-padding'))).fr, /input\u202f: Clé non reconnue\u202f: «\u202fpading\u202f» \(pas une clé du contrat des modèles\u202f: mal orthographiée\u202f\?\)/);
  assert.match((await refusal(path.join(root, 'misspelt-calibration'))).fr, /calibration\u202f: .*\(le manifeste a «\u202fcalibraton\u202f», que le contrat ne connaît pas\u202f: une clé mal orthographiée\u202f\?\)/);
  // keys are any text the manifest's author wrote: quoted three at most, cut, with no control or bidirectional formatting character (5,000 stray keys, some with an escape sequence or a right-to-left override, made a 69 KB refusal)
  const hostile = await refusal(writeModel(root, 'hostile-keys', { change: (m) => {
    (m.input as Record<string, unknown>)['evil\u202ekey\u001b[2J'] = 1;
    (m as Record<string, unknown>).calibraton = m.calibration;
    delete (m as Partial<ModelManifest>).calibration;
    for (let i = 0; i < 5000; i++) (m as Record<string, unknown>)[`stray${i}${'x'.repeat(100)}`] = i;
  } }));
  for (const text of [hostile.en, hostile.fr]) {
    assert.ok(text.length < 1000, `${text.length} characters`);
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
  }
  assert.match(hostile.en, /input: Unrecognized key: "evil<U\+202E>key<U\+001B>\[2J" \(not a key of the model contract: misspelt\?\)/);
  assert.match(hostile.en, /\(the manifest has "calibraton", "stray0x{58}…", "stray1x{58}…" and 4998 more, which the contract does not know: misspelt\?\)/);
  assert.match(hostile.fr, /«\u202fcalibraton\u202f», «\u202fstray0x{58}…\u202f», «\u202fstray1x{58}…\u202f» et 4998 autres, que le contrat ne connaît pas/);
  assert.match((await refusal(path.join(root, 'padding-in-1.0'))).fr, /contractVersion\u202f: input\.padding et input\.crop sont du contrat 1\.1/);
  assert.match((await refusal(path.join(root, 'two-view-in-1.1'))).fr, /contractVersion\u202f: output\.twoView est du contrat 1\.2/);
  assert.match((await refusal(path.join(root, 'exam-point-in-1.2'))).fr, /contractVersion\u202f: calibration\.examOperatingPoint est du contrat 1\.3/);
  assert.match((await refusal(path.join(root, 'threshold-off-scale'))).fr, /calibration\.operatingPoints\.0\.threshold\u202f: un seuil sur l’échelle des scores \(output\.scoreScale, de min à max\)\u202f: 30, l’échelle allant de 0 à 1/);
  assert.match((await refusal(path.join(root, 'padding-255'))).fr, /input\.padding\.value\u202f: de 0 à 1, l’échelle de la chaîne de traitement \(le gris 114 d’ultralytics vaut 114\/255 = 0,447\)/);
  assert.match((await refusal(path.join(root, 'no-size'))).fr, /input\.size\u202f: un modèle qui prend toute taille de pixel \(spacingMm null\) prend une matrice fixe/);
  assert.match((await refusal(path.join(root, 'monochrome1-as-stored'))).fr, /input\.pixels\.invertMonochrome1\u202f: true\u202f: la station montre toujours les images MONOCHROME1 inversées/);
  assert.match((await refusal(path.join(root, 'stored-values'))).fr, /input\.pixels\.range\u202f: 'float01'\u202f: la station donne des valeurs de 0/);
  assert.match((await refusal(path.join(root, 'for-processing'))).fr, /input\.presentationIntent\u202f: \[«\u202fFOR PRESENTATION\u202f»\]\u202f: la station analyse les images que voit le lecteur/);
  assert.match((await refusal(path.join(root, 'sigmoid-scale'))).fr, /output\.scoreScale\u202f: de 0 à 1 \(min 0, max 1\)/);
  assert.match((await refusal(path.join(root, 'exam-under-marks'))).fr, /calibration\.examOperatingPoint\.threshold\u202f: au niveau du seuil du point de fonctionnement le plus bas ou au-dessus/);
  // the same exam point under the marks where the breast's score is the model's image score: a model's own exam call
  const ownScore = await checkModelFolder(writeModel(root, 'exam-under-own-score', { change: (m) => { m.contractVersion = '1.3'; m.calibration.examOperatingPoint = { threshold: 0.3, specificity: 0.9, sensitivity: 0.6, dataset: 'validation' }; } }));
  assert.ok(ownScore.ok, JSON.stringify(ownScore));
  await (ownScore as Extract<typeof ownScore, { ok: true }>).model.opened.session.release();
  // a byte order mark before the JSON (Windows' Notepad, PowerShell 5) is read past, not refused
  const bom = writeModel(root, 'bom');
  fs.writeFileSync(path.join(bom, 'manifest.json'), '\uFEFF' + fs.readFileSync(path.join(bom, 'manifest.json'), 'utf8'));
  const withBom = await checkModelFolder(bom);
  assert.ok(withBom.ok, JSON.stringify(withBom));
  await (withBom as Extract<typeof withBom, { ok: true }>).model.opened.session.release();
  // UTF-16 with its byte order mark (Windows PowerShell 5's `>`), little- and big-endian
  for (const [name, encode] of [['utf16le', (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
    ['utf16be', (t: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()])]] as const) {
    const folder = writeModel(root, name);
    fs.writeFileSync(path.join(folder, 'manifest.json'), encode(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')));
    const checked = await checkModelFolder(folder);
    assert.ok(checked.ok, `${name}: ${JSON.stringify(checked)}`);
    await (checked as Extract<typeof checked, { ok: true }>).model.opened.session.release();
  }
  // Latin-1 (an older editor's "Modèle"): refused with the byte's place, not shown as "Mod�le" in the panel and every SR
  const latin1 = writeModel(root, 'latin1', { change: (m) => { m.name = 'Modèle contrasté'; } });
  fs.writeFileSync(path.join(latin1, 'manifest.json'), Buffer.from(fs.readFileSync(path.join(latin1, 'manifest.json'), 'utf8'), 'latin1'));
  const notUtf8 = await refusal(latin1);
  const at = fs.readFileSync(path.join(latin1, 'manifest.json')).indexOf(0xe8);
  assert.equal(notUtf8.problem.code, 'manifest_unreadable');
  assert.equal(notUtf8.en, `manifest.json is not UTF-8 text (byte ${at} is not UTF-8: saved as Latin-1 or Windows-1252?); save it as UTF-8`);
  assert.match(notUtf8.fr, new RegExp(`^manifest\\.json n’est pas un texte UTF-8 \\(l’octet ${at} `));
  // UTF-16 cut short (an odd byte): not JSON, said so (not "no manifest.json")
  const odd = writeModel(root, 'utf16-odd');
  fs.writeFileSync(path.join(odd, 'manifest.json'), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('{"a":1}', 'utf16le').swap16(), Buffer.from([0x7b])]));
  assert.equal((await refusal(odd)).problem.code, 'manifest_unreadable');
  // NaN and Infinity (Python's json.dump writes them) and a comma too many: where, as an editor counts,
  // and NaN named (a vendor's probe was told "not valid JSON" and nothing else)
  const nan = writeModel(root, 'nan');
  const nanText = fs.readFileSync(path.join(nan, 'manifest.json'), 'utf8').replace(/"threshold": [0-9.e-]+/, '"threshold": NaN');
  fs.writeFileSync(path.join(nan, 'manifest.json'), nanText);
  const nanAt = nanText.indexOf('NaN'), nanLine = nanText.slice(0, nanAt).split('\n').length, nanColumn = nanAt - nanText.lastIndexOf('\n', nanAt - 1);
  const notNumber = await refusal(nan);
  assert.equal(notNumber.problem.code, 'manifest_unreadable');
  assert.equal(notNumber.en, `manifest.json is not valid JSON: NaN (line ${nanLine}, column ${nanColumn}) is no JSON number (Python’s json.dump writes NaN and Infinity unless given allow_nan=False); write a number, or null where the contract allows it`);
  assert.match(notNumber.fr, new RegExp(`^manifest\\.json n’est pas du JSON valide\u202f: NaN \\(ligne ${nanLine}, colonne ${nanColumn}\\) n’est pas un nombre JSON`));
  const comma = writeModel(root, 'comma');
  fs.writeFileSync(path.join(comma, 'manifest.json'), '{\n  "id": "org.example.comma",\n}\n');
  assert.equal((await refusal(comma)).en, 'manifest.json is not valid JSON (line 3, column 1)');
  // a manifest cut short (a copy that stopped): said to end too soon, where it ends, never "line 1, column 1" (momoa's place for it, a probe)
  const cut = writeModel(root, 'cut-short');
  const whole = fs.readFileSync(path.join(cut, 'manifest.json'), 'utf8');
  const cutText = whole.slice(0, whole.indexOf('"output"'));
  fs.writeFileSync(path.join(cut, 'manifest.json'), cutText);
  const cutLines = cutText.split('\n');
  const endsEarly = await refusal(cut);
  assert.equal(endsEarly.problem.code, 'manifest_unreadable');
  assert.equal(endsEarly.en, `manifest.json is not valid JSON: the text ends (line ${cutLines.length}, column ${cutLines.at(-1)!.length + 1}) before its JSON does (cut short when it was copied or saved?)`);
  assert.equal(endsEarly.fr, `manifest.json n’est pas du JSON valide\u202f: le texte s’arrête (ligne ${cutLines.length}, colonne ${cutLines.at(-1)!.length + 1}) avant la fin de son JSON (tronqué lors d’une copie ou d’un enregistrement\u202f?)`);
  for (const ending of ['{"contractVersion":', '{"contractVersion": "1.', '{"contractVersion": tr']) {
    fs.writeFileSync(path.join(cut, 'manifest.json'), ending);
    assert.match((await refusal(cut)).en, new RegExp(`the text ends \\(line 1, column ${ending.length + 1}\\) before its JSON does`), ending);
  }
  // a value of the wrong type is named in French as in English (zod's French said "undefined received" without the issue's input)
  const wrongType = await refusal(writeModel(root, 'wrong-type', { change: (m) => { (m.input as Record<string, unknown>).maxSourceSpacingMm = '0.1'; } }));
  assert.match(wrongType.en, /input\.maxSourceSpacingMm: .*received string/);
  assert.doesNotMatch(wrongType.fr, /indéfini/);
  assert.match(wrongType.fr, /input\.maxSourceSpacingMm\u202f: .*nombre attendu, chaîne de caractères reçue$/m);
  // a key twice in one object: JSON.parse keeps the last, a person reading the file sees the first (a vendor's
  // probe: "notForDiagnosticUse": false after a first true); refused, naming it, in English and French
  const twice = writeModel(root, 'twice', { change: (m) => { m.input.maxSourceSpacingMm = 0.123456; } });
  fs.writeFileSync(path.join(twice, 'manifest.json'), fs.readFileSync(path.join(twice, 'manifest.json'), 'utf8').replace('"maxSourceSpacingMm": 0.123456', '"maxSourceSpacingMm": 0.1, "maxSourceSpacingMm": 0.123456'));
  assert.equal(JSON.parse(fs.readFileSync(path.join(twice, 'manifest.json'), 'utf8')).input.maxSourceSpacingMm, 0.123456, 'the fixture holds the key twice');
  const duplicate = await refusal(twice);
  assert.equal(duplicate.problem.code, 'manifest_unreadable');
  assert.equal(duplicate.en, 'manifest.json names “input.maxSourceSpacingMm” twice in one object (a person reading it sees the first, the station would read the last): keep one');
  assert.match(duplicate.fr, /^manifest\.json nomme «\u202finput\.maxSourceSpacingMm\u202f» deux fois dans un même objet/);
  // in an array's object too; nesting past the parser's stack (under a key the contract does not name) refused as such
  const inArray = writeModel(root, 'twice-in-array');
  const arrayText = fs.readFileSync(path.join(inArray, 'manifest.json'), 'utf8').replace(/"name": "([^"]*)",\s*"threshold"/, '"name": "$1", "name": "$1", "threshold"');
  assert.notEqual(arrayText, fs.readFileSync(path.join(inArray, 'manifest.json'), 'utf8'), 'an operating point named twice');
  fs.writeFileSync(path.join(inArray, 'manifest.json'), arrayText);
  assert.match((await refusal(inArray)).en, /names “calibration\.operatingPoints\[0\]\.name” twice/);
  const deep = writeModel(root, 'deep');
  fs.writeFileSync(path.join(deep, 'manifest.json'), fs.readFileSync(path.join(deep, 'manifest.json'), 'utf8').replace(/^\{/, `{"deep": ${'['.repeat(200_000)}${']'.repeat(200_000)},`));
  const tooDeep = await refusal(deep);
  assert.equal(tooDeep.en, 'manifest.json nests arrays or objects thousands of levels deep: no manifest does');
  assert.match(tooDeep.fr, /^manifest\.json imbrique des tableaux/);
  // a number too large for a number (1e999 reads as Infinity): said so in French too (it said "nombre attendu, nombre reçu", a vendor's probe)
  const infinite = writeModel(root, 'infinite', { change: (m) => { m.input.maxSourceSpacingMm = 0.123456; } });
  fs.writeFileSync(path.join(infinite, 'manifest.json'), fs.readFileSync(path.join(infinite, 'manifest.json'), 'utf8').replace('0.123456', '1e999'));
  const infinity = await refusal(infinite);
  assert.match(infinity.en, /input\.maxSourceSpacingMm: .*expected number, received Infinity/);
  assert.match(infinity.fr, /input\.maxSourceSpacingMm\u202f: Entrée invalide\u202f: nombre fini attendu, l’infini reçu/);
  assert.match((await refusal(writeModel(root, 'tiny-source', { change: (m) => { m.input.maxSourceSpacingMm = 1e-9; } }))).en, /input\.maxSourceSpacingMm: /);
  // a contract version it does not know: the versions it knows quoted as written, in French too (« 1,5 » was refused when written: a vendor's probe)
  const future = await refusal(writeModel(root, 'future-contract', { change: (m) => { (m as { contractVersion: string }).contractVersion = '2.0'; } }));
  assert.match(future.en, /"1\.0"/);
  assert.match(future.fr, /«\u202f1\.0\u202f»/);
  assert.doesNotMatch(future.fr, /«\s*\d+,\d+\s*»/);
  fs.mkdirSync(path.join(root, 'empty'));
  assert.equal((await refusal(path.join(root, 'empty'))).problem.code, 'manifest_missing');
  // a valid manifest that asks for what the station does not give (priors beside the image)
  const priors = await refusal(writeModel(root, 'needs-priors', { change: (m) => { m.input.priors = 'required'; } }));
  assert.equal(priors.problem.code, 'input_unsupported');
  assert.match(priors.en, /prior images/);
  assert.match(priors.fr, /^le modèle demande une entrée que cette station ne fournit pas\u202f: les images antérieures/);
});

test('a model file that is not the one its manifest describes, or not a model, or missing, is refused', async () => {
  const root = tempDir('models-file');
  const changed = writeModel(root, 'changed');
  const bytes = fs.readFileSync(path.join(changed, 'model.onnx'));
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(path.join(changed, 'model.onnx'), bytes);
  const mismatch = await refusal(changed);
  assert.equal(mismatch.problem.code, 'checksum_mismatch');
  assert.match(mismatch.en, /is not the file its manifest describes/);

  const garbage = new TextEncoder().encode('this is not an ONNX model');
  const notModel = await refusal(writeModel(root, 'garbage', { bytes: garbage }));
  assert.equal(notModel.problem.code, 'model_unloadable');
  assert.match(notModel.en, /cannot be loaded by the ONNX runtime \(.+\)/);

  // an empty file: said so, not as the runtime's words for it (its source file and line, cut off mid-word)
  const empty = await refusal(writeModel(root, 'empty', { bytes: new Uint8Array(0) }));
  assert.equal(empty.problem.code, 'model_unloadable');
  assert.equal(empty.en, 'model.onnx is empty (0 bytes)');
  assert.equal(empty.fr, 'model.onnx est vide (0 octet)');
  // emptied after its manifest was written (a copy that failed): empty, not "another file"
  const emptied = writeModel(root, 'emptied');
  fs.writeFileSync(path.join(emptied, 'model.onnx'), new Uint8Array(0));
  assert.equal((await refusal(emptied)).en, 'model.onnx is empty (0 bytes)');

  const gone = writeModel(root, 'gone');
  fs.rmSync(path.join(gone, 'model.onnx'));
  assert.equal((await refusal(gone)).problem.code, 'model_missing');

  // over 2 GiB (a sparse file: no disk used) is no single ONNX file: refused for its size (hashed, it would be a checksum mismatch after a minute)
  const huge = writeModel(root, 'huge');
  fs.truncateSync(path.join(huge, 'model.onnx'), 2 ** 31 + 1);
  const tooLarge = await refusal(huge);
  assert.equal(tooLarge.problem.code, 'model_too_large');
  assert.match(tooLarge.en, /too large \(2,147,483,649 bytes.*refused without being read/);
  assert.match(tooLarge.fr, /trop gros/);
});

test('a manifest whose runtime.opset is not the file\'s (written for another export of the model) is refused, saying both', async () => {
  const root = tempDir('models-opset');
  const other = await refusal(writeModel(root, 'opset', { change: (m) => { m.runtime.opset = 17; } }));
  assert.equal(other.problem.code, 'opset_mismatch');
  assert.equal(other.en, 'the manifest says ONNX opset 17 (runtime.opset), model.onnx imports opset 13: the manifest was written for another export of the model; write the file’s opset in it (and check the rest)');
  assert.match(other.fr, /^le manifeste indique l’opset ONNX 17 \(runtime\.opset\), model\.onnx importe l’opset 13\u202f: /);
  assert.ok((await checkModelFolder(writeModel(root, 'same'))).ok, 'the same opset: accepted');
});

test('a model keeping its weights in another file (ONNX external data), which its checksum does not cover, is refused saying how to save it as one; its tensors\' names quoted safely', async () => {
  const root = tempDir('models-external');
  // as onnx.save_model(..., save_as_external_data=True) leaves it: model.onnx and the weights beside it
  const split = writeModel(root, 'split', { model: { externalData: 'model.onnx.data' } });
  fs.writeFileSync(path.join(split, 'model.onnx.data'), tinyDetectorWeights());
  const refused = await refusal(split);
  assert.equal(refused.problem.code, 'model_external_data');
  assert.equal(refused.en, 'model.onnx keeps 2 tensors in other files (ONNX external data: "w", "b"), which its checksum does not cover: '
    + 'save the model as one file (onnx.save_model(model, "model.onnx", save_as_external_data=False)) and write its SHA-256 in the manifest');
  assert.match(refused.fr, /^model\.onnx garde 2 tenseurs dans d’autres fichiers \(données externes ONNX\u202f: «\u202fw\u202f», «\u202fb\u202f»\), que sa somme de contrôle ne couvre pas\u202f: enregistrez le modèle en un seul fichier/);
  // the same weights in model.onnx itself: accepted (the control)
  const whole = await checkModelFolder(writeModel(root, 'whole'));
  assert.ok(whole.ok);
  await (whole as Extract<typeof whole, { ok: true }>).model.opened.session.release();

  // a stray group field after the graph (in no onnx.proto message; the runtime's parser steps over it):
  // the station's walk steps over it too, and refuses the model for its external data in its own words
  // (it gave up there, and the runtime's refusal quoted the station's working directory: a vendor's probe)
  const odd = writeModel(root, 'odd', { bytes: Buffer.concat([tinyDetectorModel({ externalData: 'w\u001b[2J\u202etxt.d' }), Uint8Array.of(0x9b, 0x06, 0x9c, 0x06)]) });
  const grouped = await refusal(odd);
  assert.equal(grouped.problem.code, 'model_external_data');
  assert.match(grouped.en, /^model\.onnx keeps 2 tensors in other files \(ONNX external data: "w", "b"\)/);
  // groups nested deeper than the walk follows (40; the runtime's parser takes them): a model the runtime loads
  // and the station's checks could not read through is refused, not left to the runtime (a vendor's probe)
  const deep = Buffer.concat([Buffer.from(Array.from({ length: 40 }, () => [0x9b, 0x06]).flat()), Buffer.from(Array.from({ length: 40 }, () => [0x9c, 0x06]).flat()), tinyDetectorModel()]);
  const unread = await refusal(writeModel(root, 'deep-groups', { bytes: deep }));
  assert.equal(unread.problem.code, 'model_structure_unread');
  assert.match(unread.en, /^model\.onnx could not be read through by the station’s own checks .*though the ONNX runtime loads it/);
  assert.match(unread.fr, /^model\.onnx n’a pas pu être lu jusqu’au bout par les contrôles de la station/);

  // names from the model's file are quoted at most three, cut to 64 characters, an escape sequence or
  // a right-to-left override written as <U+…> (a terminal printing `binome models` would obey them)
  const hostile = await refusal(writeModel(root, 'hostile-names', { model: { inputName: `\u001b[2J\u202epixels${'x'.repeat(100)}` } }));
  assert.equal(hostile.problem.code, 'tensor_mismatch');
  assert.match(hostile.en, /its inputs are "<U\+001B>\[2J<U\+202E>pixelsx{53}…"; the manifest names one, "image"/);
  assert.doesNotMatch(hostile.en + hostile.fr, /[\u001b\u202e]/);
});

test('a model whose tensors differ from its manifest is refused, saying which', async () => {
  const root = tempDir('models-tensors');
  const cases: [string, Parameters<typeof writeModel>[2], RegExp, RegExp][] = [
    ['input-name', { model: { inputName: 'pixels' } }, /its inputs are "pixels"; the manifest names one, "image"/, /ses entrées sont «\u202fpixels\u202f»\u202f; le manifeste en nomme une, «\u202fimage\u202f»/],
    ['channels-last', { model: { inputShape: [1, 512, 256, 1] } }, /input "image" is \[1, 512, 256, 1\]: its channels last \(N, H, W, C, as Keras and TensorFlow export\); the station gives them first/, /l’entrée «\u202fimage\u202f» est \[1, 512, 256, 1\]\u202f: ses canaux en dernier/],
    // an export's dynamic height and width, its channels last: said as channels last, not as "dimension 3 fixed at 3" (a vendor's probe)
    ['channels-last-dynamic', { model: { inputShape: [1, 'H', 'W', 3] } }, /input "image" is \[1, H, W, 3\]: its channels last/, /l’entrée «\u202fimage\u202f» est \[1, H, W, 3\]\u202f: ses canaux en dernier/],
    ['fixed-size', { model: { inputShape: [1, 1, 512, 256] } }, /dimension 2 of input "image" is fixed at 512; the manifest says it varies \(H\)/, /la dimension 2 de l’entrée «\u202fimage\u202f» est fixée à 512\u202f; le manifeste la dit variable \(H\)/],
    ['no-heatmap', { model: { heatmapName: 'maps' } }, /the outputs "heatmap" the manifest names are not in the model \(it has "maps"/, /les sorties «\u202fheatmap\u202f» que nomme le manifeste ne sont pas dans le modèle \(il a «\u202fmaps\u202f»/],
    // an integer score came back as values that are no score (a BigInt64Array), and failed every image
    ['integer-score', { model: { integerScore: true } }, /output "image_score" is int64; the station reads float32 or float64 outputs/, /la sortie «\u202fimage_score\u202f» est en int64\u202f; la station lit des sorties en float32 ou float64/],
    // a model pretrained on colour photographs takes three channels: the manifest says which it is
    ['input-channels', { bytes: brightestBoxModel({ channel: 0 }) }, /input "image" takes 3 channels; the manifest says 1 \(its tensor’s shape: \[1, 1, …\] for grey levels, \[1, 3, …\]/, /l’entrée «\u202fimage\u202f» prend 3 canaux\u202f; le manifeste en indique 1/],
    ['channels', { model: { classes: 3 } }, /output "heatmap" has 3 channels; the manifest names 2 classes/, /la sortie «\u202fheatmap\u202f» a 3 canaux\u202f; le manifeste nomme 2 classes/],
    // the heatmap has the input's size (stride 1): marks read at stride 2 would land twice as far out
    // one image's outputs: a heatmap batch of two passed, then failed every exam as an unexpected error; an
    // image score of two values was read by its first (probes)
    ['heatmap-batch', { model: { doubled: 'heatmap' } }, /output "heatmap" is \[2, 2, H, W\]: a heatmap is one image’s, \[1, classes, H, W\]/, /la sortie «\u202fheatmap\u202f» est \[2, 2, H, W\]\u202f: une carte de chaleur est celle d’une image/],
    ['score-pair', { model: { doubled: 'score' } }, /output "image_score" is \[1, 2, 1, 1\]: an image score is one number/, /la sortie «\u202fimage_score\u202f» est \[1, 2, 1, 1\]\u202f: un score d’image est un seul nombre/],
    ['stride', { change: (m) => { m.output.heatmap!.stride = 2; } }, /output "heatmap" is 8 × 16 for a 8 × 16 input; at the manifest’s stride 2 it would be 4 × 8/, /au pas de 2 du manifeste, elle ferait 4 × 8/],
  ];
  for (const [name, options, expected, expectedFr] of cases) {
    const { problem, en, fr } = await refusal(writeModel(root, name, options));
    assert.equal(problem.code, 'tensor_mismatch', name);
    assert.match(en, expected, name);
    // the whole reason in French, not an English detail after a French start
    assert.match(fr, /^les tenseurs du modèle ne correspondent pas à son manifeste\u202f: /, name);
    assert.match(fr, expectedFr, name);
    assert.doesNotMatch(fr, /\b(the|is|has|says|input|output)\b/, name);
  }
  // NaN or infinite outputs for a plain image (everywhere, or only where it is brightest: a blank trial
  // image passed that one; or only on a breast-sized input, or one wider than tall: the small trial
  // image passed the first, the tall breast the second, probes; or only on an image as dark on average as a
  // mammogram, mostly air: the ramps passed it, a vendor's probe; at a fixed size too):
  // refused, not shown in place of the model before it to fail every exam
  for (const [kind, fixed] of [['not-finite', false], ['not-finite-bright', false], ['not-finite-large', false], ['not-finite-wide', false], ['not-finite-dark', false], ['not-finite-dark', true]] as const) {
    const bytes = brokenOutputModel(kind);
    const name = fixed ? `${kind}-fixed` : kind;
    const { problem, en, fr } = await refusal(writeModel(root, name, { bytes, manifest: fixtureManifest(bytes, { id: `org.binome.tests.${name}`, imageScore: true, spacingMm: 0.2 }, (m) => {
      if (fixed) { m.input.size = { mode: 'fixed', height: 640, width: 512 }; m.input.tensor.shape = [1, 1, 'H', 'W']; }
    }) }));
    assert.equal(problem.code, 'tensor_mismatch', kind);
    assert.match(en, /^the model’s trial run does not give what its manifest says: output "heatmap" holds values that are not numbers \(NaN or infinite\) for a test image of \d+ × \d+/, kind);
    assert.match(fr, /^l’essai du modèle ne donne pas ce que dit son manifeste\u202f: /, kind);
    assert.match(fr, /la sortie «\u202fheatmap\u202f» contient des valeurs qui ne sont pas des nombres/, kind);
  }
  // a score off the manifest's scale for a plain image (an image score of 500 on a 0–1 scale): refused at the
  // check, not shown in place of the model before it to fail every exam (an IT probe)
  {
    const bytes = brokenOutputModel('off-scale');
    const { problem, en, fr } = await refusal(writeModel(root, 'off-scale', { bytes, manifest: fixtureManifest(bytes, { id: 'org.binome.tests.off-scale', imageScore: true, spacingMm: 0.2 }) }));
    assert.equal(problem.code, 'tensor_mismatch');
    assert.match(en, /output "image_score" gives the score [\d.]+ for a test image of \d+ × \d+, outside the manifest's scale \(0 to 1\)/);
    assert.match(fr, /la sortie «\u202fimage_score\u202f» donne le score \d+(,\d+)? pour une image de test de \d+ × \d+, hors de l’échelle du manifeste \(0 à 1\)/);
  }
  // a heatmap already of scores (the model ends in its own sigmoid) said to be logits (activation "sigmoid"): a
  // second sigmoid would squeeze it into 0.5–0.73, every pixel over the thresholds (a vendor's probe)
  {
    const bytes = brokenOutputModel('off-scale'); // its heatmap is sigmoid(image); its image score not named here
    const { problem, en, fr } = await refusal(writeModel(root, 'sigmoid-twice', { bytes,
      manifest: fixtureManifest(bytes, { id: 'org.binome.tests.sigmoid-twice', spacingMm: 0.2 }, (m) => { m.output.heatmap!.activation = 'sigmoid'; }) }));
    assert.equal(problem.code, 'tensor_mismatch');
    assert.match(en, /trial run does not give what its manifest says: output "heatmap" holds values from 0 to 1 only for a test image of \d+ × \d+, as scores already are: output\.heatmap\.activation "sigmoid" would apply a second sigmoid \(say "none"/);
    assert.match(fr, /la sortie «\u202fheatmap\u202f» ne contient que des valeurs de 0 à 1 .* appliquerait une seconde sigmoïde/);
    // said "none", the same file is a model
    const none = await checkModelFolder(writeModel(root, 'sigmoid-once', { bytes, manifest: fixtureManifest(bytes, { id: 'org.binome.tests.sigmoid-once', spacingMm: 0.2 }) }));
    assert.ok(none.ok, JSON.stringify(none));
    await (none as Extract<typeof none, { ok: true }>).model.opened.session.release();
  }
  // the same fixed size in the model and in the manifest agrees
  const fixed = await checkModelFolder(writeModel(root, 'fixed-ok', { model: { inputShape: [1, 1, 512, 256] },
    change: (m) => { m.input.size = { mode: 'fixed', height: 512, width: 256 }; m.input.tensor.shape = [1, 1, 512, 256]; } }));
  assert.ok(fixed.ok, JSON.stringify(fixed));
  await (fixed as Extract<typeof fixed, { ok: true }>).model.opened.session.release();
  // a manifest naming the axes the station always sends at one length (the batch of one, a fixed size's height and
  // width), of a file that fixes them at those lengths, agrees too (an exporter's dynamic axes need not be the manifest's)
  const named = await checkModelFolder(writeModel(root, 'fixed-named', { model: { inputShape: [1, 1, 512, 256] },
    change: (m) => { m.input.size = { mode: 'fixed', height: 512, width: 256 }; m.input.tensor.shape = ['N', 1, 'H', 'W']; } }));
  assert.ok(named.ok, JSON.stringify(named));
  await (named as Extract<typeof named, { ok: true }>).model.opened.session.release();
  // …but not at other lengths than the file's: the station would send 256 rows to a file fixed at 512
  const { en: otherSize } = await refusal(writeModel(root, 'fixed-named-other', { model: { inputShape: [1, 1, 512, 256] },
    change: (m) => { m.input.size = { mode: 'fixed', height: 256, width: 256 }; m.input.tensor.shape = [1, 1, 'H', 'W']; } }));
  assert.match(otherSize, /dimension 2 of input "image" is fixed at 512; the manifest says it varies \(H\)/);
});

test('a model with a fixed input at a fixed pixel size says from the start the breast it reads at most (panel, binome models), in English and French: a clinic learnt it only once every image had failed "breast_cut" (a vendor\'s probe)', { timeout: 120_000 }, async () => {
  assert.deepEqual(fixedInputField({ size: { mode: 'fixed', height: 512, width: 256 }, spacingMm: 0.4 }), { width: 102, height: 204, small: true });
  assert.deepEqual(fixedInputField({ size: { mode: 'fixed', height: 3000, width: 2400 }, spacingMm: 0.1 }), { width: 240, height: 300, small: false });
  // at most: rounded down, and warned by the unrounded field (239.5 mm said "240" unwarned: a probe)
  assert.deepEqual(fixedInputField({ size: { mode: 'fixed', height: 3000, width: 2395 }, spacingMm: 0.1 }), { width: 239, height: 300, small: true });
  // the image scaled to fit (no pixel size) or padded to a multiple: no breast is cut
  assert.equal(fixedInputField({ size: { mode: 'fixed', height: 640, width: 640 }, spacingMm: null }), null);
  assert.equal(fixedInputField({ size: { mode: 'pad-to-multiple', multiple: 32 }, spacingMm: 0.1 }), null);

  const { openTestStation } = await import('../helpers/station.ts');
  const libraryDir = tempDir('library-field');
  const root = path.join(libraryDir, 'models');
  writeModel(root, 'fixed-small', { model: { inputShape: [1, 1, 512, 256] },
    change: (m) => { m.id = 'org.binome.tests.fixed-small'; m.input.size = { mode: 'fixed', height: 512, width: 256 }; m.input.tensor.shape = [1, 1, 512, 256]; } });
  writeModel(root, 'padded');
  const station = openTestStation({ libraryDir, modelRoots: [root], analyse: false });
  try {
    const status = await waitFor('the models checked', async () => { const s = await station.handlers.aiModels({}); return s.state === 'ready' && s; }, 60_000);
    const byId = new Map(status.models.map((m) => [m.id, m]));
    assert.deepEqual(byId.get('org.binome.tests.fixed-small')?.field, { width: 102, height: 204, small: true }, JSON.stringify(status));
    assert.ok(byId.has('org.binome.tests.tiny'), JSON.stringify(status));
    assert.equal(byId.get('org.binome.tests.tiny')?.field, undefined);
  } finally {
    await station.close();
  }
  for (const [lang, said] of [['en', /^\s+reads at most 102 mm of breast from chest wall to nipple and 204 mm from top to bottom \(its fixed input\): a larger one is not analysed \(a 24 × 30 cm detector's field is 240 × 300 mm\)$/m],
    ['fr', /^\s+lit au plus 102\u202fmm de sein de la paroi thoracique au mamelon et 204\u202fmm de haut en bas \(son entrée fixe\)\u202f: un sein plus grand n’est pas analysé/m]] as const) {
    const out = execFileSync(process.execPath, ['bin/binome.js', 'models', '--library', libraryDir], { cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, LANG: lang === 'fr' ? 'fr_FR.UTF-8' : 'en_US.UTF-8', LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '' }, encoding: 'utf8' });
    assert.match(out, said, out);
    // said once, under the fixed model alone
    assert.equal(out.split(lang === 'en' ? 'reads at most' : 'lit au plus').length - 1, 1, out);
  }
});

test('a manifest or model file the station\'s user may not read is said so, not as missing', async () => {
  // the wording, whoever runs the tests
  assert.match(describeModelProblem('en', { code: 'manifest_missing', params: { denied: 1 } }), /^manifest\.json cannot be read: the station’s user has no permission/);
  assert.match(describeModelProblem('fr', { code: 'model_missing', params: { denied: 1 } }), /^model\.onnx ne peut pas être lu\u202f: l’utilisateur de la station n’a pas le droit/);
  assert.equal(describeModelProblem('en', { code: 'manifest_missing' }), 'the folder has no manifest.json');
});

test('a model folder made unreadable is refused for its permissions', { skip: process.getuid?.() === 0 ? 'run as root: file permissions do not apply (run the tests as another user to check)' : false }, async () => {
  const root = tempDir('models-denied');
  const folder = writeModel(root, 'denied');
  fs.chmodSync(path.join(folder, 'manifest.json'), 0o000);
  try {
    const { problem } = await refusal(folder);
    assert.deepEqual(problem, { code: 'manifest_missing', params: { denied: 1 } });
  } finally {
    fs.chmodSync(path.join(folder, 'manifest.json'), 0o644);
  }
});

test('a library model of the id and version of the station\'s own, with another file or manifest, is refused: it took the shipped model\'s place under its name and version, and could drop "not for diagnostic use" (a vendor\'s probe); an identical copy replaces it as before', async () => {
  const bundled = tempDir('models-same-version-bundled');
  const library = tempDir('models-same-version-library');
  const changeless = tempDir('models-same-version-copy');
  const shipped = writeModel(bundled, 'shipped');
  // another file under the same id and version; the same file with its manifest edited (its use widened)
  writeModel(library, 'other-file', { model: { classes: 1 }, change: (m) => { m.output.heatmap!.classes = ['mass']; } });
  writeModel(library, 'other-manifest', { change: (m) => { m.calibration.operatingPoints[0]!.threshold = 0.05; } });
  fs.cpSync(shipped, path.join(changeless, 'copy'), { recursive: true });
  const found = await discoverModels([bundled, library]);
  const copied = await discoverModels([bundled, changeless]);
  try {
    assert.deepEqual(found.models.map((m) => path.basename(m.folder)), ['shipped']);
    assert.deepEqual(found.replaced, []);
    assert.deepEqual(found.refused.map((r) => [path.basename(r.folder), r.problem.code, r.problem.params?.sameFile]), [['other-file', 'same_version_other_file', 0], ['other-manifest', 'same_version_other_file', 1]]);
    assert.equal(describeModelProblem('en', found.refused[1]!.problem), 'the folder shipped found before it holds this model (org.binome.tests.tiny) in this version (0.1.0) with another manifest: '
      + 'one version of a model is one file and one manifest, which its analyses and CAD reports name; give this one a version of its own, or remove it');
    assert.match(describeModelProblem('fr', found.refused[0]!.problem), /^le dossier shipped trouvé avant lui contient ce modèle \(org\.binome\.tests\.tiny\) dans cette version \(0\.1\.0\) avec un autre fichier\u202f:/);
    assert.deepEqual(copied.models.map((m) => path.basename(m.folder)), ['copy']);
    assert.deepEqual(copied.replaced.map((r) => path.basename(r.folder)), ['shipped']);
  } finally {
    for (const m of [...found.models, ...copied.models]) await m.opened.session.release();
  }
});

test('a library model under the id of the station\'s own that drops what it says of itself (trained on real images, for diagnostic use) is refused: an unrelated network took the shipped detector\'s place and name, its "not for diagnostic use" gone (a vendor\'s probe); a newer version that keeps them replaces it', async () => {
  const bundled = tempDir('models-caveat-bundled');
  const library = tempDir('models-caveat-library');
  const keeping = tempDir('models-caveat-keeping');
  writeModel(bundled, 'shipped', { change: (m) => { m.training.data = 'synthetic'; m.intendedUse.notForDiagnosticUse = true; } });
  writeModel(library, 'real-data', { change: (m) => { m.version = '9.0.0'; m.training.data = 'real'; m.intendedUse.notForDiagnosticUse = false; } });
  writeModel(library, 'z-mixed', { change: (m) => { m.version = '9.0.1'; m.training.data = 'mixed'; } });
  // beside a copy that keeps the caveat, a later one that drops it: checked against the station's own, not the copy (a re-probe)
  const beside = tempDir('models-caveat-beside');
  writeModel(beside, 'a-keeps', { change: (m) => { m.version = '0.6.0'; } });
  writeModel(beside, 'b-drops', { change: (m) => { m.version = '0.7.0'; m.training.data = 'real'; m.intendedUse.notForDiagnosticUse = false; } });
  writeModel(keeping, 'newer', { change: (m) => { m.version = '0.2.0'; m.training.data = 'synthetic'; m.intendedUse.notForDiagnosticUse = true; } });
  const found = await discoverModels([bundled, library]);
  const kept = await discoverModels([bundled, keeping]);
  const besides = await discoverModels([bundled, beside]);
  try {
    assert.deepEqual(besides.models.map((m) => `${path.basename(m.folder)}@${m.manifest.version}`), ['a-keeps@0.6.0']);
    assert.deepEqual(besides.refused.map((r) => [path.basename(r.folder), r.problem.code]), [['b-drops', 'shipped_caveat']]);
    assert.deepEqual(found.models.map((m) => `${path.basename(m.folder)}@${m.manifest.version}`), ['shipped@0.1.0']);
    assert.deepEqual(found.replaced, []);
    assert.deepEqual(found.refused.map((r) => [path.basename(r.folder), r.problem.code]), [['real-data', 'shipped_caveat'], ['z-mixed', 'shipped_caveat']]);
    assert.equal(describeModelProblem('en', found.refused[0]!.problem), 'the model installed with the station under this id (org.binome.tests.tiny, folder shipped) is trained on synthetic images and not for diagnostic use: '
      + 'a version of it here must say the same (training.data "synthetic", intendedUse.notForDiagnosticUse true); a model of another kind takes an id of its own');
    assert.match(describeModelProblem('fr', found.refused[0]!.problem), /^le modèle installé avec la station sous cet identifiant \(org\.binome\.tests\.tiny, dossier shipped\) est entraîné sur des images de synthèse et n’est pas pour le diagnostic\u202f:/);
    assert.deepEqual(kept.models.map((m) => `${path.basename(m.folder)}@${m.manifest.version}`), ['newer@0.2.0']);
    assert.deepEqual(kept.replaced.map((r) => path.basename(r.folder)), ['shipped']);
  } finally {
    for (const m of [...found.models, ...kept.models, ...besides.models]) await m.opened.session.release();
  }
});

test('while the station\'s own model is still being checked (set aside: a slow start), a library copy under its id that drops its caveat, or another id under its name, is refused already: the first list let them by, analyses and SRs made meanwhile (a re-probe)', async () => {
  const bundled = tempDir('models-caveat-aside-bundled');
  const library = tempDir('models-caveat-aside-library');
  const shipped = writeModel(bundled, 'shipped', { change: (m) => { m.training.data = 'synthetic'; m.intendedUse.notForDiagnosticUse = true; } });
  writeModel(library, 'real-data', { change: (m) => { m.version = '9.0.0'; m.training.data = 'real'; m.intendedUse.notForDiagnosticUse = false; } });
  const shippedName = (JSON.parse(fs.readFileSync(path.join(shipped, 'manifest.json'), 'utf8')) as ModelManifest).name;
  const sameName = writeModel(library, 'same-name', { change: (m) => { m.id = 'org.example.other'; } });
  const renamed = JSON.parse(fs.readFileSync(path.join(sameName, 'manifest.json'), 'utf8')) as ModelManifest;
  fs.writeFileSync(path.join(sameName, 'manifest.json'), JSON.stringify({ ...renamed, name: shippedName }));
  let finish!: () => void;
  const slow = new Promise<void>((resolve) => { finish = resolve; });
  const found = await discoverModelFolders([bundled, library], async (folder, setAside) => {
    if (folder === shipped) { setAside(); await slow; }
    const checked = await checkModelFolder(folder);
    return checked.ok ? { ok: true, model: checked.model, release: () => checked.model.opened.session.release() } : checked;
  });
  try {
    assert.deepEqual(found.checking, [shipped]);
    assert.deepEqual(found.models, [], 'nothing used while the station\'s own is checked');
    assert.deepEqual(found.refused.map((r) => [path.basename(r.folder), r.problem.code]), [['real-data', 'shipped_caveat'], ['same-name', 'shipped_name']]);
  } finally {
    finish();
    const complete = await found.complete;
    for (const m of complete.models) await m.opened.session.release();
  }
});

test('models are found in the bundled folder and the library\'s; a broken one is listed as refused and the others still load', async () => {
  const bundled = tempDir('models-bundled');
  const library = tempDir('models-library');
  writeModel(bundled, 'a-tiny');
  writeModel(bundled, 'b-broken', { manifest: '[]' });
  // the library's copy of the same id, a newer version, wins
  writeModel(library, 'tiny-newer', { change: (m) => { m.version = '0.2.0'; } });
  writeModel(library, 'other', { change: (m) => { m.id = 'org.binome.tests.other'; m.name = 'Other tiny detector'; } });
  const { models, refused, replaced } = await discoverModels([bundled, library, path.join(library, 'does-not-exist')]);
  try {
    // in the order found, the library's copy of the bundled id last (the last found is the one exams show by default)
    assert.deepEqual(models.map((m) => `${m.manifest.id}@${m.manifest.version}`), ['org.binome.tests.other@0.1.0', 'org.binome.tests.tiny@0.2.0']);
    assert.deepEqual(refused.map((r) => [path.basename(r.folder), r.problem.code]), [['b-broken', 'manifest_invalid']]);
    assert.deepEqual(replaced.map((r) => [path.basename(r.folder), r.version, path.basename(r.by), r.byVersion]), [['a-tiny', '0.1.0', 'tiny-newer', '0.2.0']]);
  } finally {
    for (const m of models) await m.opened.session.release();
  }
});

test('a provider that cannot load here is skipped, the CPU runs the model, and the record says so', async () => {
  const model = tinyDetectorModel();
  // CUDA: onnxruntime-node ships no CUDA library without its download (skipped here), and there is no GPU
  const opened = await openSession(model, ['cuda', 'dml', 'coreml', 'cpu']);
  try {
    assert.equal(opened.provider, 'cpu');
    assert.deepEqual(opened.fallbacks.map((f) => f.provider), ['cuda', 'dml', 'coreml']);
    const cuda = opened.fallbacks[0]!;
    if (providerExistsOn('cuda')) assert.match(cuda.reason, /cuda|CUDA|shared library|provider/i, cuda.reason);
    else assert.match(cuda.reason, /not available on/);
    assert.match(opened.fallbacks[1]!.reason, process.platform === 'win32' ? /./ : /not available on/);
  } finally {
    await opened.session.release();
  }
  // asked for no CPU, it still falls back to it rather than failing
  const cpuLast = await openSession(model, ['cuda']);
  assert.equal(cpuLast.provider, 'cpu');
  await cpuLast.session.release();
});

test('the manifest schema is exported for tools: a valid manifest parses, an unknown provider does not', () => {
  const manifest = manifestFor(tinyDetectorModel());
  assert.ok(modelManifestSchema.safeParse(manifest).success);
  assert.equal(modelManifestSchema.safeParse({ ...manifest, runtime: { opset: 13, providers: ['tpu'] } }).success, false);
});

test('a model whose preferred provider could not open it is listed with why (the AI models panel, binome models), in English and French: the record said "cpu" and nothing of why CUDA was not used (a vendor\'s probe)', { skip: process.platform === 'linux' && process.arch === 'x64' ? false : 'CUDA is tried on Linux and Windows x64 only', timeout: 120_000 }, async () => {
  const { openTestStation } = await import('../helpers/station.ts');
  // (in the library's own models folder: where `binome models` finds it too)
  const libraryDir = tempDir('library-fallback');
  const root = path.join(libraryDir, 'models');
  writeModel(root, 'cuda-first', { change: (m) => { m.runtime.providers = ['cuda', 'dml', 'cpu']; } });
  const station = openTestStation({ libraryDir, modelRoots: [root], analyse: false });
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'fallback' });
    let status = await station.handlers.aiModels({});
    for (const until = Date.now() + 60_000; status.state !== 'ready' && Date.now() < until;) { await new Promise((r) => setTimeout(r, 100)); status = await station.handlers.aiModels({}); }
    const [model] = status.models;
    assert.equal(model?.provider, 'cpu');
    // CUDA tried and failed (no NVIDIA libraries here), with why; DirectML, which Linux never has, not tried, so not listed
    assert.deepEqual(model?.fallbacks?.map((f) => f.provider), ['cuda']);
    assert.ok((model?.fallbacks?.[0]?.reason ?? '').length > 0, 'why CUDA could not open it');
  } finally {
    await station.close();
  }
  // the command line says it under the model, in its language
  for (const [lang, said] of [['en', /^\s+CUDA[^:\n]* could not be used here: \S/m], ['fr', /^\s+CUDA[^:\n]* n’a pas pu servir ici\u202f: \S/m]] as const) {
    const out = execFileSync(process.execPath, ['bin/binome.js', 'models', '--library', libraryDir], { cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, LANG: lang === 'fr' ? 'fr_FR.UTF-8' : 'en_US.UTF-8', LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '' }, encoding: 'utf8' });
    assert.match(out, said, out);
  }
});

test('models run on a worker thread: the main event loop keeps turning during a run, and the result says which provider ran', { timeout: 120_000 }, async () => {
  const { InferenceRunner } = await import('../../main/ai/inference.ts');
  const root = tempDir('models-worker');
  const folder = writeModel(root, 'tiny', { change: (m) => { m.runtime.providers = ['cuda', 'cpu']; } });
  const runner = new InferenceRunner();
  try {
    // a large input keeps session.run busy for a while (a 1×1 convolution and a sigmoid per pixel, twice)
    const side = 3072;
    const data = new Float32Array(side * side).fill(0.25);
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 5);
    const first = await runner.infer({ modelFolder: folder, input: { data, dims: [1, 1, side, side] } });
    clearInterval(timer);
    assert.equal(first.provider, 'cpu');
    assert.equal(first.fallbacks[0]?.provider, 'cuda');
    assert.deepEqual(first.outputs.heatmap!.dims, [1, 2, side, side]);
    assert.ok(Math.abs(first.outputs.heatmap!.data[12345]! - 1 / (1 + Math.exp(-0.25))) < 1e-6);
    assert.ok(first.runMs > 0 && first.loadMs > 0);
    // the main thread went on while the model ran (were session.run on it, not one tick would pass)
    assert.ok(ticks >= 3, `only ${ticks} timer ticks during ${first.runMs.toFixed(0)} ms of inference`);
    const second = await runner.infer({ modelFolder: folder, input: { data: new Float32Array(16), dims: [1, 1, 4, 4] } });
    assert.ok(second.loadMs < first.loadMs, 'the model stays open on its thread');

    // a model refused on the thread says why, as the contract does
    fs.writeFileSync(path.join(folder, 'model.onnx'), tinyDetectorModel({ classes: 3 }));
    await assert.rejects(runner.infer({ modelFolder: folder, input: { data: new Float32Array(16), dims: [1, 1, 4, 4] } }),
      (error: Error & { code?: string }) => error.code === 'model_refused' && /not the file its manifest describes/.test(error.message));
    assert.deepEqual((await runner.check(folder)).problem?.code, 'checksum_mismatch');
  } finally {
    await runner.close();
  }
});

test('what else lies in a models folder: a link to a model folder is followed; a link to anything else, loose model files and a second folder with the same id are refused, saying so; other files are no model', { skip: process.platform === 'win32' ? 'symbolic links need privileges on Windows' : false }, async () => {
  const root = tempDir('models-odd');
  const elsewhere = tempDir('models-elsewhere');
  writeModel(elsewhere, 'vendor-model', { change: (m) => { m.id = 'com.vendor.tests.linked'; } });
  fs.symlinkSync(path.join(elsewhere, 'vendor-model'), path.join(root, 'linked'));
  fs.symlinkSync(path.join(elsewhere, 'nowhere'), path.join(root, 'dangling'));
  fs.writeFileSync(path.join(elsewhere, 'file'), 'x');
  fs.symlinkSync(path.join(elsewhere, 'file'), path.join(root, 'link-to-file'));
  fs.copyFileSync(path.join(elsewhere, 'vendor-model', 'model.onnx'), path.join(root, 'model.onnx'));
  fs.writeFileSync(path.join(root, 'README.txt'), 'models for the clinic');
  // what a careless IT person leaves there (a probe: the list said nothing of any of them)
  fs.writeFileSync(path.join(root, 'vendor-model.zip'), 'PK');
  fs.writeFileSync(path.join(root, 'manifest.json.txt'), '{}');
  writeModel(path.join(root, 'unzipped'), 'vendor-model', { change: (m) => { m.id = 'com.vendor.tests.nested'; } });
  writeModel(root, 'dup-a', { change: (m) => { m.id = 'org.clinic.tests.dup'; } });
  writeModel(root, 'dup-b', { change: (m) => { m.id = 'org.clinic.tests.dup'; m.version = '0.2.0'; } });
  // folder names that do not sort as their versions: the higher version is used, whatever its folder's name
  writeModel(root, 'vendor-10.0', { change: (m) => { m.id = 'com.vendor.tests.versions'; m.version = '10.0.0'; } });
  writeModel(root, 'vendor-9.0', { change: (m) => { m.id = 'com.vendor.tests.versions'; m.version = '9.0.0'; } });
  writeModel(root, 'vendor-rc', { change: (m) => { m.id = 'com.vendor.tests.versions'; m.version = '10.0.0-rc.2'; } });
  const { models, refused, replaced } = await discoverModels([root]);
  try {
    assert.deepEqual(models.map((m) => [path.basename(m.folder), m.manifest.id, m.manifest.version]),
      [['dup-b', 'org.clinic.tests.dup', '0.2.0'], ['linked', 'com.vendor.tests.linked', '0.1.0'], ['vendor-10.0', 'com.vendor.tests.versions', '10.0.0']]);
    assert.deepEqual(refused.map((r) => [path.basename(r.folder), r.problem.code]).sort(),
      [['dangling', 'not_a_folder'], ['dup-a', 'duplicate_id'], ['link-to-file', 'not_a_folder'], ['manifest.json.txt', 'loose_file'], ['model.onnx', 'loose_file'], ['unzipped', 'manifest_missing'],
        ['vendor-9.0', 'duplicate_id'], ['vendor-model.zip', 'model_archive'], ['vendor-rc', 'duplicate_id']]);
    const nested = refused.find((r) => path.basename(r.folder) === 'unzipped')!.problem;
    assert.equal(describeModelProblem('en', nested), 'the folder has no manifest.json, but its folder “vendor-model” has one (unpacked one level too deep): put that folder itself in the models folder');
    assert.match(describeModelProblem('fr', nested), /^le dossier n’a pas de manifest\.json, mais son dossier «\u202fvendor-model\u202f» en a un/);
    assert.match(describeModelProblem('fr', refused.find((r) => r.problem.code === 'model_archive')!.problem), /^une archive\u202f: décompressez-la/);
    const dup = refused.find((r) => r.problem.code === 'duplicate_id')!;
    assert.equal(describeModelProblem('en', dup.problem), 'the folder dup-b beside it holds the same model (org.clinic.tests.dup), version 0.2.0, and is used instead');
    assert.equal(describeModelProblem('fr', refused.find((r) => path.basename(r.folder) === 'vendor-9.0')!.problem),
      'le dossier vendor-10.0 à côté contient le même modèle (com.vendor.tests.versions), en version 10.0.0, et est utilisé à sa place');
    assert.match(describeModelProblem('fr', refused.find((r) => r.problem.code === 'loose_file')!.problem), /chaque modèle est un dossier à lui/);
    assert.deepEqual(replaced, []);
  } finally {
    for (const m of models) await m.opened.session.release();
  }
});

test('a models folder that is there and cannot be read is said, not passed over: a file, a link to nothing (one not made yet is no problem)', { skip: process.platform === 'win32' ? 'symbolic links need privileges on Windows' : false }, async () => {
  const root = tempDir('models-roots');
  fs.writeFileSync(path.join(root, 'file'), 'x');
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
  const { models, refused } = await discoverModels([path.join(root, 'file'), path.join(root, 'dangling'), path.join(root, 'not-made-yet')]);
  assert.deepEqual(models, []);
  assert.deepEqual(refused.map((r) => [path.basename(r.folder), r.problem.code, r.problem.params?.reason]), [['file', 'models_folder_unusable', 'not_a_folder'], ['dangling', 'models_folder_unusable', 'broken_link']]);
  assert.equal(describeModelProblem('en', refused[0]!.problem), 'the models folder cannot be read: it is a file, not a folder; no model there runs');
  assert.equal(describeModelProblem('fr', refused[1]!.problem), 'le dossier des modèles ne peut pas être lu\u202f: c’est un lien vers rien\u202f; aucun modèle n’y tourne');
});

test('a manifest that is not a regular file (or a link), too large, empty or not JSON: refused for that reason, never quoting what a link points to', { skip: process.platform === 'win32' ? 'no FIFOs or /etc/passwd on Windows' : false }, async () => {
  const root = tempDir('models-manifest-files');
  const fifo = writeModel(root, 'fifo');
  fs.rmSync(path.join(fifo, 'manifest.json'));
  execFileSync('mkfifo', [path.join(fifo, 'manifest.json')]);
  const device = writeModel(root, 'device');
  fs.rmSync(path.join(device, 'manifest.json'));
  fs.symlinkSync('/dev/zero', path.join(device, 'manifest.json'));
  for (const folder of [fifo, device]) {
    const { problem, en } = await refusal(folder);
    assert.equal(problem.code, 'manifest_not_file');
    assert.match(en, /^manifest\.json is not a regular file/);
  }
  const large = writeModel(root, 'large', { manifest: ' '.repeat(2 << 20) });
  const tooLarge = await refusal(large);
  assert.equal(tooLarge.problem.code, 'manifest_too_large');
  assert.equal(tooLarge.en, 'manifest.json is too large (2,097,152 bytes; a manifest is at most 1,048,576)');
  assert.equal((await refusal(writeModel(root, 'empty', { manifest: '  ' }))).en, 'manifest.json is empty');
  const secret = tempDir('models-secret');
  fs.writeFileSync(path.join(secret, 'passwords'), 'root:x:0:0:secret-value');
  const linked = writeModel(root, 'linked');
  fs.rmSync(path.join(linked, 'manifest.json'));
  fs.symlinkSync(path.join(secret, 'passwords'), path.join(linked, 'manifest.json'));
  // a link in a model's folder is not followed (a probe's manifest linked to /etc/passwd was read):
  // refused unread, as is a model.onnx linked to a sound model elsewhere; a linked folder is followed
  const notFollowed = await refusal(linked);
  assert.equal(notFollowed.problem.code, 'manifest_not_file');
  assert.match(notFollowed.en, /a link, .*link the whole folder instead/);
  for (const text of [notFollowed.en, notFollowed.fr, JSON.stringify(notFollowed.problem)]) assert.doesNotMatch(text, /root|secret/, text);
  const sound = writeModel(tempDir('models-kept-elsewhere'), 'sound');
  const linkedModel = writeModel(root, 'linked-model');
  fs.rmSync(path.join(linkedModel, 'model.onnx'));
  fs.symlinkSync(path.join(sound, 'model.onnx'), path.join(linkedModel, 'model.onnx'));
  const modelLink = await refusal(linkedModel);
  assert.equal(modelLink.problem.code, 'model_missing');
  assert.equal(modelLink.en, 'model.onnx is not a regular file but a link: a model’s files lie in its own folder (link the whole folder instead)');
  assert.match(modelLink.fr, /^model\.onnx n’est pas un fichier ordinaire mais un lien\u202f: /);
  const folderLink = path.join(tempDir('models-linked-folder'), 'vendor');
  fs.symlinkSync(sound, folderLink);
  assert.equal((await checkModelFolder(folderLink)).ok, true, 'a link to a whole model folder is followed');
  // a name that would turn the version beside it around, or a terminal's escape, is no model's name;
  // nor one with an Arabic letter mark, a line separator (a log's line broken), or an invisible
  // character making two names that look alike differ (a probe)
  for (const [i, name] of ['Evil \u202eTXT.exe', 'Clear \u001b[2J', 'Mark \u061c1.0', 'Two\u2028lines', 'Zero\u200bwidth', 'Bom\ufeff'].entries()) {
    const { problem } = await refusal(writeModel(root, `name-${i}`, { change: (m) => { m.name = name; } }));
    assert.equal(problem.code, 'manifest_invalid', JSON.stringify(name));
    assert.match(describeModelProblem('en', problem), /name: no control, bidirectional formatting or invisible characters/);
  }
});

test('model versions compare as semantic versions: numbers as numbers, a pre-release before its release, build metadata ignored', () => {
  const sorted = ['10.0.0', '2.0.0', '2.0.0-rc.10', '2.0.0-rc.2', '2.0.0-beta', '1.10.0', '1.9.3', '2.0.0-rc'].sort(compareVersions);
  assert.deepEqual(sorted, ['1.9.3', '1.10.0', '2.0.0-beta', '2.0.0-rc', '2.0.0-rc.2', '2.0.0-rc.10', '2.0.0', '10.0.0']);
  assert.equal(compareVersions('1.2.0+build.5', '1.2.0'), 0);
  assert.ok(compareVersions('0.4.1', '0.4.0') > 0);
  // numbers longer than a double holds exactly (the lower was used, a probe), in the release and the pre-release
  assert.ok(compareVersions('100000000000000000001.0.0', '100000000000000000000.0.0') > 0);
  assert.ok(compareVersions('1.0.0-rc.100000000000000000001', '1.0.0-rc.100000000000000000000') > 0);
  // and no leading zero: 02.0.0 read as 2.0.0, and the later of the two folders was used (a probe)
  const manifest = manifestFor(tinyDetectorModel());
  for (const version of ['02.0.0', '1.00.0', '1.0.01', '1.0.0-rc.01', '1.0.0-', '1.0.0+', '1.0.0-rc_1']) assert.equal(modelManifestSchema.safeParse({ ...manifest, version }).success, false, version);
  for (const version of ['0.0.0', '10.20.30', '1.0.0-rc.1', '1.0.0-0a.1', '1.0.0-x-y.7', '1.0.0+build.007', '1.0.0-rc.1+exp.sha.5114f85']) assert.ok(modelManifestSchema.safeParse({ ...manifest, version }).success, version);
});

test('a name that shows as nothing (spaces, no-break spaces, a Hangul filler, tag characters) or under a pile of accents is no model\'s name; two operating points of one name are refused', async () => {
  const manifest = manifestFor(tinyDetectorModel());
  const problemsOf = (m: unknown) => {
    const parsed = modelManifestSchema.safeParse(m);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  for (const name of ['   ', '\u00a0\u00a0', '\u3164', '\u{e0041}\u{e0042}', `A${'\u0301'.repeat(60)}`, 'Soft\u00adhyphen', 'Word\u2060joiner',
    // an invisible format character between the accents passed the rule on accents (a probe), and others among letters
    `Z${'\u0301\u206a'.repeat(60)}`, 'Beam\u{1d173}', 'Anchor\ufff9', 'Egypt\u{13430}']) {
    assert.notDeepEqual(problemsOf({ ...manifest, name }), [], JSON.stringify(name));
  }
  for (const name of ['Détecteur de masses', '検出器 2', 'Lunit INSIGHT MMG', 'Ñandú (2 accents)', 'Детектор масс', 'Ανιχνευτής β-test', 'μ-net 2']) assert.deepEqual(problemsOf({ ...manifest, name }), [], name);
  // a look-alike letter of another script in a word passes one name off as another (a Cyrillic е, a Greek ο: a probe)
  for (const name of ['Binome synth\u0435tic-exam detector', 'Binome synthetic-exam detect\u03bfr', '\u0412inome', 'detect\u0585r', 'detect\u2c9fr', '\ua4d0inome', 'Ве\u03b2']) {
    assert.deepEqual(problemsOf({ ...manifest, name }), ['name: no word mixing the letters of several scripts (look-alike letters pass one name off as another)'], name);
  }
  for (const name of ['Binome synth\u{1d5be}tic-exam detector', '\uff22inome', 'De\ufb01ne']) {
    assert.ok(problemsOf({ ...manifest, name }).includes('name: plain letters and digits, not mathematical, fullwidth or ligature forms (they pass one name off as another)'), name);
  }
  // Latin with the Chinese, Japanese and Korean scripts written beside it, and accents however composed, pass
  for (const name of ['AI検出器', 'CAD한국', 'Ñandu\u0301']) assert.deepEqual(problemsOf({ ...manifest, name }), [], name);
  const point = manifest.calibration.operatingPoints[0]!;
  const twice = { ...manifest, calibration: { ...manifest.calibration, operatingPoints: [point, { ...point, threshold: point.threshold + 0.1 }] } };
  assert.deepEqual(problemsOf(twice), ['calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  // nor two that read the same: a space at the end, é composed and decomposed
  const named = (a: string, b: string) => ({ ...manifest, calibration: { ...manifest.calibration, defaultOperatingPoint: a, operatingPoints: [{ ...point, name: a }, { ...point, name: b, threshold: point.threshold + 0.1 }] } });
  assert.deepEqual(problemsOf(named('balanced', 'balanced ')), ['calibration.operatingPoints.1.name: no space at either end', 'calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  assert.deepEqual(problemsOf(named('équilibre', 'e\u0301quilibre')), ['calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  assert.deepEqual(problemsOf(named('Balanced', 'balanced')), ['calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  // two spaces where the other has one: one name on the page (a vendor's probe, at thresholds 30 and 90)
  assert.deepEqual(problemsOf(named('high sensitivity', 'high  sensitivity')), ['calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  assert.deepEqual(problemsOf(named('balanced', 'b\u0430lanced')), ['calibration.operatingPoints.1.name: no word mixing the letters of several scripts (look-alike letters pass one name off as another)',
    'calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  // nor two that read alike in one script: a digit for a letter, a hyphen for a space
  assert.deepEqual(problemsOf(named('balanced', 'ba1anced')), ['calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  assert.deepEqual(problemsOf(named('high sensitivity', 'high-sensitivity')), ['calibration.operatingPoints: two operating points have the same name, or names that read alike']);
  // small capitals and phonetic letters, which NFKC leaves as they are ("ᴅetector": a vendor's probe)
  for (const name of ['Binome synthetic-exam \u1d05etector', 'Bin\u0254me']) {
    assert.ok(problemsOf({ ...manifest, name }).includes('name: no small capitals or phonetic letters (they pass one name off as another)'), name);
  }
  // a modifier letter is spelling, of no one script: Hawaiʻi's ʻokina (a re-probe saw it refused as mixing scripts)
  assert.deepEqual(problemsOf({ ...manifest, name: 'Hawai\u02bbi detector' }), []);
  // an accented i, which the confusables table leaves as it is where it maps a plain I to l (a re-probe)
  for (const name of ['B\u00ednome', 'Binome synthet\u00ecc', 'B\u00efnome', 'B\u012fnome', 'B\u1ecbnome', 'B\u0130NOME', 'Binome\u02bc']) {
    assert.ok(comparableName(name).startsWith(comparableName('Binome')), `${name}: ${comparableName(name)}`);
  }
  // a no-break space is a space, not a letter of another form (a vendor's probe was told "plain letters and
  // digits" of a final one): the name passes, and reads as the one without it (comparableName)
  assert.deepEqual(problemsOf({ ...manifest, name: 'Binome\u00a0detector\u00a0' }), []);
  assert.equal(comparableName('Binome\u00a0detector\u00a0'), comparableName('Binome detector'));
  // said in French too
  const { problem } = await refusal(writeModel(tempDir('models-blank-name'), 'blank', { change: (m) => { m.name = '\u3164'; } }));
  assert.match(describeModelProblem('fr', problem), /name\u202f: aucun caractère de contrôle, de mise en forme bidirectionnelle ni invisible/);
});

test('intendedUse.implants (contract 1.4; its note\'s translations 1.5): images of a breast with an implant left to the reader but for its implant-displaced views, or read with a caveat, which says what it is', () => {
  const manifest = manifestFor(tinyDetectorModel());
  const with14 = (implants: unknown) => ({ ...manifest, contractVersion: '1.4', intendedUse: { ...manifest.intendedUse, implants } });
  assert.ok(modelManifestSchema.safeParse(with14({ use: 'not-analysed' })).success);
  assert.ok(modelManifestSchema.safeParse(with14({ use: 'caveat', note: 'more false marks there' })).success);
  assert.equal(modelManifestSchema.safeParse(with14({ use: 'caveat' })).success, false, 'a caveat says what it is');
  assert.equal(modelManifestSchema.safeParse({ ...with14({ use: 'not-analysed' }), contractVersion: '1.3' }).success, false, 'contract 1.4');
  const parsed = modelManifestSchema.parse(with14({ use: 'not-analysed' }));
  const image = (viewLabel: string, breastImplantPresent: boolean | null) => ({ isImage: true, forProcessing: false, viewLabel, imageLaterality: viewLabel[0], breastImplantPresent,
    pixelSpacing: [0.07, 0.07], imagerPixelSpacing: null, estimatedRadiographicMagnificationFactor: null }) as unknown as InstanceDetail;
  assert.equal(whyNotRead(image('RCC', true), parsed), 'implant');
  assert.equal(whyNotRead(image('RCCID', true), parsed), null, 'the implant-displaced view is read');
  assert.equal(whyNotRead(image('LCC', false), parsed), null);
  assert.equal(whyNotRead(image('RCC', true), modelManifestSchema.parse(with14({ use: 'caveat', note: 'x' }))), null, 'a caveat reads it');
  assert.equal(whyNotRead(image('RCC', true), manifest), null, 'no word: read as any other');
  // the caveat in the station's languages (contract 1.5): a French reader was told it in English (a probe)
  const with15 = (implants: unknown) => ({ ...with14(implants), contractVersion: '1.5' });
  const translated = { use: 'caveat', note: 'more false marks there', translations: { fr: 'davantage de fausses marques là' } };
  assert.deepEqual(modelManifestSchema.parse(with15(translated)).intendedUse.implants?.translations, { fr: 'davantage de fausses marques là' });
  const problems = (m: unknown) => { const r = modelManifestSchema.safeParse(m); return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`); };
  assert.deepEqual(problems(with14(translated)), ["contractVersion: intendedUse.implants.translations is contract 1.5: contractVersion '1.5' (a station of an older contract would refuse the manifest)"]);
  assert.notDeepEqual(problems(with15({ ...translated, translations: { de: 'dort schwächer' } })), [], 'a language the station does not speak');
  assert.notDeepEqual(problems(with15({ ...translated, translations: { fr: '\u202e' } })), [], 'shown text');
  assert.deepEqual(problems(with15({ use: 'analysed', translations: { fr: 'x' } })), ['intendedUse.implants.translations: translations of a note (note)']);
});

test('what an operating point was measured on, in the station\'s languages (contract 1.6): the shipped model\'s in French; refused in an older contract, a language the station does not speak refused', async () => {
  const manifest = manifestFor(tinyDetectorModel());
  const problems = (m: unknown) => { const r = modelManifestSchema.safeParse(m); return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`); };
  const translated = (version: string, fr: unknown = 'synthétiques') => ({ ...manifest, contractVersion: version, calibration: { ...manifest.calibration,
    operatingPoints: manifest.calibration.operatingPoints.map((p, i) => (i === 0 ? { ...p, datasetTranslations: { fr } } : p)) } });
  assert.deepEqual(problems(translated('1.6')), []);
  assert.deepEqual(problems(translated('1.5')), ["contractVersion: datasetTranslations is contract 1.6: contractVersion '1.6' (a station of an older contract would refuse the manifest)"]);
  assert.notDeepEqual(problems({ ...translated('1.6'), calibration: { ...manifest.calibration, operatingPoints: manifest.calibration.operatingPoints.map((p) => ({ ...p, datasetTranslations: { de: 'synthetisch' } })) } }), [], 'a language the station does not speak');
  assert.notDeepEqual(problems(translated('1.6', '\u202e')), [], 'shown text');
  // its bounds said in words, in both languages (zod's read "Too small: expected string to have >=1 characters", and in
  // French « Trop petit : chaîne de caractères doit avoir ≥ 1 caractères », a vendor's probe)
  const root = tempDir('models-dataset-bounds');
  const empty = await refusal(writeModel(root, 'empty-fr', { change: (m) => { m.contractVersion = '1.6'; m.calibration.operatingPoints[0]!.datasetTranslations = { fr: '' }; } }));
  assert.match(empty.en, /datasetTranslations\.fr: Too small: expected string to have at least 1 character[;)]/);
  assert.match(empty.fr, /datasetTranslations\.fr\u202f: Trop petit\u202f: la chaîne de caractères doit avoir au moins 1 caractère[\u202f;)]/);
  const long = await refusal(writeModel(root, 'long-fr', { change: (m) => { m.contractVersion = '1.6'; m.calibration.operatingPoints[0]!.datasetTranslations = { fr: 'x'.repeat(501) }; } }));
  assert.match(long.en, /Too big: expected string to have at most 500 characters/);
  assert.match(long.fr, /Trop grand\u202f: la chaîne de caractères doit avoir au plus 500 caractères/);
  // the shipped model says it in French
  const shipped = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../models/binome-synth-detector/manifest.json'), 'utf8')) as ModelManifest;
  assert.deepEqual(problems(shipped), []);
  for (const point of shipped.calibration.operatingPoints) assert.match(point.datasetTranslations?.fr ?? '', /examens synthétiques/);
});

test('of two models of one name, the one the library has analyses of keeps it wherever the other lies: a newcomer of that name in a folder sorted before the clinic\'s is the one refused (it took the name, and the clinic\'s model was refused: order-dependent)', async () => {
  const root = tempDir('models-known-name');
  writeModel(root, 'clinic', { change: (m) => { m.id = 'com.vendor.tests.clinic'; m.name = 'Clinic detector'; } });
  writeModel(root, 'aaa', { change: (m) => { m.id = 'com.other.tests.newcomer'; m.name = 'Clinic Detector'; m.version = '9.0.0'; } });
  const byFolder = await discoverModels([root]);
  const known = await discoverModels([root], { knownIds: new Set(['com.vendor.tests.clinic', 'com.vendor.tests.gone']) });
  try {
    // nothing known: the first found keeps the name, as before
    assert.deepEqual(byFolder.models.map((m) => path.basename(m.folder)), ['aaa']);
    assert.deepEqual(known.models.map((m) => path.basename(m.folder)), ['clinic']);
    assert.deepEqual(known.refused.map((r) => [path.basename(r.folder), r.problem.code, r.problem.params?.id]), [['aaa', 'duplicate_name', 'com.vendor.tests.clinic']]);
  } finally {
    for (const m of [...byFolder.models, ...known.models]) await m.opened.session.release();
  }
});

test('the name of a model installed with the station belongs to its id: a model of the library under another id and that name, in any version, is refused (a vendor\'s probe: "Binome synthetic-exam detector" 0.6.0 read as an update of the shipped model)', async () => {
  const shippedRoot = tempDir('models-shipped');
  const libraryRoot = tempDir('models-library');
  writeModel(shippedRoot, 'shipped', { change: (m) => { m.id = 'org.vendor.tests.shipped'; m.name = 'Station detector'; } });
  writeModel(libraryRoot, 'lookalike', { change: (m) => { m.id = 'com.other.tests.lookalike'; m.name = 'Station  Detector'; m.version = '0.6.0'; } });
  writeModel(libraryRoot, 'update', { change: (m) => { m.id = 'org.vendor.tests.shipped'; m.name = 'Station detector'; m.version = '0.6.0'; } });
  // letters of its own script that read alike, a hyphen for a space, a final full stop (a vendor's re-probe: a dotless ı, U+2010, an en dash)
  writeModel(libraryRoot, 'lookalike2', { change: (m) => { m.id = 'com.other.tests.lookalike2'; m.name = 'Stat\u0131on\u2010detector.'; } });
  writeModel(libraryRoot, 'lookalike3', { change: (m) => { m.id = 'com.other.tests.lookalike3'; m.name = 'STATI0N \u2013 DETECT0R'; } });
  writeModel(libraryRoot, 'lookalike4', { change: (m) => { m.id = 'com.other.tests.lookalike4'; m.name = 'St\u00e1t\u00efon detector'; } });
  const { models, refused } = await discoverModels([shippedRoot, libraryRoot]);
  try {
    // its own id's newer version in the library replaces it, as any model's
    assert.deepEqual(models.map((m) => [path.basename(m.folder), m.manifest.version]), [['update', '0.6.0']]);
    assert.deepEqual(refused.map((r) => [path.basename(r.folder), r.problem.code]), [['lookalike', 'shipped_name'], ['lookalike2', 'shipped_name'], ['lookalike3', 'shipped_name'], ['lookalike4', 'shipped_name']]);
    assert.equal(describeModelProblem('en', refused[0]!.problem), 'the model installed with the station (org.vendor.tests.shipped, folder shipped) has this name (“Station  Detector”): '
      + 'under another id (com.other.tests.lookalike) it would read as a version of that model; give this one a name of its own');
    assert.match(describeModelProblem('fr', refused[0]!.problem), /^le modèle installé avec la station \(org\.vendor\.tests\.shipped, dossier shipped\) porte ce nom/);
  } finally {
    for (const m of models) await m.opened.session.release();
  }
});

test('two models of one name under different ids (nowhere to tell them apart: the label over the marks, the strip, a CAD SR; of another version, one reads as an update of the other): the later found is refused, saying which it looks like', async () => {
  const root = tempDir('models-same-name');
  writeModel(root, 'same1', { change: (m) => { m.id = 'com.vendor.tests.one'; m.name = 'Vendor detector'; } });
  writeModel(root, 'same2', { change: (m) => { m.id = 'com.vendor.tests.two'; m.name = ' vendor DETECTOR '; } });
  writeModel(root, 'same3', { change: (m) => { m.id = 'com.vendor.tests.three'; m.name = 'Vendor detector'; m.version = '0.2.0'; } });
  // two spaces where the other has one: a page shows them as one (a vendor's probe)
  writeModel(root, 'same4', { change: (m) => { m.id = 'com.vendor.tests.four'; m.name = 'Vendor  detector'; } });
  const { models, refused } = await discoverModels([root]);
  try {
    // another version under another id is refused too: "Juniper YOLO Detector" 2.0.0 under com.evil.juniper beside the clinic's 1.0.0 read as its update (a vendor's probe)
    assert.deepEqual(models.map((m) => path.basename(m.folder)), ['same1']);
    assert.deepEqual(refused.map((r) => [path.basename(r.folder), r.problem.code]), [['same2', 'duplicate_name'], ['same3', 'duplicate_name'], ['same4', 'duplicate_name']]);
    assert.equal(describeModelProblem('en', refused[1]!.problem), 'another model (com.vendor.tests.one 0.1.0, folder same1) has this name (“Vendor detector”): under another id (com.vendor.tests.three), '
      + 'this one’s 0.2.0 would read as a version of it on screen and in CAD reports; give this one a name of its own');
    assert.match(describeModelProblem('fr', refused[1]!.problem), /^un autre modèle \(com\.vendor\.tests\.one 0\.1\.0, dossier same1\) porte ce nom/);
    assert.equal(describeModelProblem('en', refused[0]!.problem), 'another model (com.vendor.tests.one, folder same1) has the same name and version (“ vendor DETECTOR ” 0.1.0): '
      + 'the two could not be told apart on screen nor in their CAD reports; give this one (com.vendor.tests.two) a name of its own');
    assert.match(describeModelProblem('fr', refused[0]!.problem), /^un autre modèle \(com\.vendor\.tests\.one, dossier same1\) a le même nom et la même version/);
  } finally {
    for (const m of models) await m.opened.session.release();
  }
});

test('the log names a refusal with its kind where its code covers several: a trial giving NaN is not logged as a wrong output name; a kind that is not a plain word stays out', async () => {
  const { refusalCode } = await import('../../main/ai/analysis.ts');
  assert.equal(refusalCode({ code: 'tensor_mismatch', params: { kind: 'output_not_finite', name: 'boxes', width: 640, height: 640 } }), 'tensor_mismatch: output_not_finite');
  assert.equal(refusalCode({ code: 'tensor_mismatch', params: { kind: 'outputs_missing', missing: '"x"' } }), 'tensor_mismatch: outputs_missing');
  assert.equal(refusalCode({ code: 'checksum_mismatch', params: { expected: 'a…', actual: 'b…' } }), 'checksum_mismatch');
  assert.equal(refusalCode({ code: 'model_missing', params: { kind: 'symbolic link' } }), 'model_missing');
  assert.equal(refusalCode({ code: 'input_unsupported', params: { kind: 'Mme DUPONT\n' } }), 'input_unsupported');
});

test('a manifest\'s results digest changes with what makes an analysis or its CAD SR (file, input, outputs, operating points\' thresholds, the default\'s), not with its words, its points\' names, its exam point or its version (a recalibrated default kept an SR a PACS showed otherwise: a re-probe)', () => {
  const bytes = tinyDetectorModel();
  const base = () => fixtureManifest(bytes, {}, (m) => {
    m.calibration.operatingPoints = [{ name: 'sensitive', threshold: 0.5, falseMarksPerImage: 2, dataset: 'val' }, { name: 'default', threshold: 0.7, falseMarksPerImage: 1, dataset: 'val' }];
  });
  const digest = (change: (m: ModelManifest) => void) => { const m = base(); change(m); return resultsDigest(modelManifestSchema.parse(m)); };
  const same = digest(() => undefined);
  for (const [what, change] of [
    ['version', (m: ModelManifest) => { m.version = '0.1.1'; }],
    ['limits', (m: ModelManifest) => { m.intendedUse.limits = ['reworded']; }],
    ['data sets in words', (m: ModelManifest) => { m.training.validatedOn = 'reworded'; }],
    ['a point\'s name', (m: ModelManifest) => { m.calibration.operatingPoints[0]!.name = 'renamed'; }],
    ['a point\'s figures', (m: ModelManifest) => { m.calibration.operatingPoints[1]!.falseMarksPerImage = 0.4; }],
    ['runtime', (m: ModelManifest) => { m.runtime.providers = ['cpu']; }],
  ] as const) assert.equal(digest(change), same, what);
  for (const [what, change] of [
    ['the default point', (m: ModelManifest) => { m.calibration.defaultOperatingPoint = 'sensitive'; }],
    ['a threshold above the lowest', (m: ModelManifest) => { m.calibration.operatingPoints[1]!.threshold = 0.8; }],
    ['the lowest threshold', (m: ModelManifest) => { m.calibration.operatingPoints[0]!.threshold = 0.4; }],
    ['the name', (m: ModelManifest) => { m.name = 'Other name'; }],
    ['the training data', (m: ModelManifest) => { m.training.data = 'mixed'; }],
    ['the score scale', (m: ModelManifest) => { m.output.scoreScale.semantics = 'ordinal'; }],
  ] as const) assert.notEqual(digest(change), same, what);
});
