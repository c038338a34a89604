// Hanging exams this module did not invent: real files from public test suites (read by the station's
// own parser), and the synthetic generator's exams (its DICOM headers written and parsed back).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseDicom } from '../../main/dicom/parse.ts';
import type { ParsedInstance } from '../../main/dicom/parse.ts';
import { DEFAULT_DEMO_OPTIONS, planPatient } from '../../main/synth/plan.ts';
import type { PatientSpec } from '../../main/synth/plan.ts';
import { mammographyFile } from '../../main/synth/dicom-mg.ts';
import { produceImage } from '../../main/synth/produce.ts';
import { hangableImages } from '../../common/hanging/images.ts';
import { chestWallSide, displayTransform } from '../../common/hanging/orientation.ts';
import type { DisplayTransform } from '../../common/hanging/orientation.ts';
import { breastPlaneSpacing } from '../../common/hanging/scale.ts';
import { choosePriors, hang } from '../../common/hanging/engine.ts';
import type { HangableImage } from '../../common/hanging/types.ts';
import type { ExamDetail, InstanceDetail } from '../../common/domain.ts';
import { SHARED_DICOM, SKIP_NO_SHARED, tempDir } from '../helpers/paths.ts';
import { exam } from './fixtures/hanging/exams.ts';

let nextInstanceId = 1000;

function instanceFrom(bytes: Uint8Array): { detail: InstanceDetail & { seriesNumber: number }; parsed: ParsedInstance } {
  const parsed = parseDicom(bytes);
  assert.equal(parsed.kind, 'instance');
  const { kind: _kind, patient: _patient, study: _study, series, ...attributes } = parsed;
  return { parsed, detail: { ...attributes, instanceId: nextInstanceId++, fileSize: bytes.byteLength, warnings: [], displayRendition: null, breastBox: null, seriesNumber: series.number ?? 1 } };
}

const orientationOf = (image: HangableImage): DisplayTransform =>
  displayTransform({ laterality: image.laterality, view: image.view, patientOrientation: image.instance.patientOrientation });

function realExam(file: string): ExamDetail {
  const { detail, parsed } = instanceFrom(new Uint8Array(fs.readFileSync(path.join(SHARED_DICOM, 'fo-dicom', file))));
  return exam({ examId: nextInstanceId++, date: parsed.study.date ?? '20150101', modalities: [parsed.series.modality ?? 'MG'], images: [detail] });
}

test('real GH133.dcm: a single RMLO stored P\\FL, hung by the fallback in the RMLO place, display-ready', { skip: SKIP_NO_SHARED }, () => {
  const detail = realExam('GH133.dcm');
  const [image] = hangableImages(detail);
  assert.deepEqual(image!.instance.patientOrientation, ['P', 'FL']);
  const t = orientationOf(image!);
  assert.deepEqual([t.rotation, t.flipHorizontal, t.flipVertical, t.source], [0, false, false, 'patient-orientation']);
  assert.equal(chestWallSide(image!, t), 'right');
  const plan = hang(detail, []);
  assert.equal(plan.protocolId, 'fallback');
  const rmlo = plan.steps[0]!.viewports.find((v) => v.id === 'RMLO')!;
  assert.equal(rmlo.image!.instanceId, image!.instanceId);
  assert.equal(plan.steps[0]!.viewports.filter((v) => v.image === null).length, 3);
  // no ERMF correction to make (ERMF 1): the breast plane is the detector's 0.094 mm
  assert.equal(breastPlaneSpacing(image!.instance)!.source, 'imager-spacing/ermf');
});

test('real OutOfBoundsOverlay.dcm: an L CC stored R\\P (transposed), turned a quarter clockwise to A\\R', { skip: SKIP_NO_SHARED }, () => {
  const detail = realExam('OutOfBoundsOverlay.dcm');
  const [image] = hangableImages(detail);
  assert.equal(image!.label, 'LCC');
  assert.deepEqual(image!.instance.patientOrientation, ['R', 'P']);
  const t = orientationOf(image!);
  assert.deepEqual({ rotation: t.rotation, flipHorizontal: t.flipHorizontal, flipVertical: t.flipVertical, shown: t.displayedOrientation },
    { rotation: 90, flipHorizontal: false, flipVertical: false, shown: ['A', 'R'] });
  assert.equal(chestWallSide(image!, t), 'left');
  const plan = hang(detail, []);
  assert.equal(plan.protocolId, 'fallback');
  assert.equal(plan.steps[0]!.viewports.find((v) => v.id === 'LCC')!.image!.instanceId, image!.instanceId);
  const spacing = breastPlaneSpacing(image!.instance)!;
  assert.equal(spacing.source, 'imager-spacing/ermf');
  assert.ok(Math.abs(spacing.row - 0.085 / 1.0433386837881) < 1e-12);
});

const DEMO = { ...DEFAULT_DEMO_OPTIONS, patients: 6, priors: 1 };

/**
 * A synthetic patient's exams as the station would index them: the generator's own DICOM header for
 * every image (over a 4 × 4 pixel frame, and uncompressed: pixels do not matter here), parsed back.
 */
async function syntheticExams(patient: PatientSpec): Promise<ExamDetail[]> {
  const exams: ExamDetail[] = [];
  for (const spec of patient.exams) {
    const images: (InstanceDetail & { seriesNumber: number })[] = [];
    for (const image of spec.images) {
      const bytes = await mammographyFile(patient, spec, { ...image, transferSyntax: 'explicit' }, { pixels: new Uint16Array(16), rows: 4, columns: 4, window: { center: 2048, width: 4096 } });
      images.push(instanceFrom(bytes).detail);
    }
    exams.push(exam({ examId: patient.index * 10 + spec.examIndex + 1, date: spec.studyDate, images }));
  }
  return exams;
}

async function hangSynthetic(variantIndex: number) {
  const patient = planPatient(DEMO, variantIndex);
  const [current, ...others] = await syntheticExams(patient);
  const slotOrder = choosePriors(current!.exam, others.map((o) => ({ ...o.exam, isPrior: true })));
  const priors = slotOrder.map((id) => others.find((o) => o.exam.examId === id)!);
  return { patient, current: current!, priors, plan: hang(current!, priors) };
}

test('generated exams hang as their variant says', async () => {
  const standard = await hangSynthetic(0);
  assert.equal(standard.patient.variant, 'standard');
  assert.equal(standard.plan.protocolId, 'screening-with-prior');
  const eight = standard.plan.steps.find((s) => s.id === 'prior-overview')!;
  assert.ok(eight.viewports.every((v) => v.image !== null), 'every place of the 8-up is filled');
  assert.ok(hangableImages(standard.current).every((image) => orientationOf(image).rotation === 0 && orientationOf(image).warning === undefined));
  // the generator writes Pixel Spacing too (GEOMETRY); the breast plane is still Imager Pixel Spacing ÷ ERMF
  assert.ok(hangableImages(standard.current).every((image) => breastPlaneSpacing(image.instance)!.source === 'imager-spacing/ermf'));

  const additional = await hangSynthetic(3);
  assert.equal(additional.patient.variant, 'additional-views');
  const extra = additional.plan.steps.at(-1)!;
  assert.equal(extra.id, 'additional');
  assert.deepEqual(extra.viewports.map((v) => v.image!.label!.slice(1)).sort(), ['MCC', 'SCC', 'XCCL']);

  const implant = await hangSynthetic(4);
  assert.equal(implant.plan.protocolId, 'implant-with-prior');
  assert.ok(implant.plan.steps.find((s) => s.id === 'implant-displaced')!.viewports.every((v) => v.image?.modifiers.includes('ID')));

  const twoDetectors = await hangSynthetic(5);
  const spacingOf = (detail: ExamDetail) => breastPlaneSpacing(hangableImages(detail)[0]!.instance)!.row;
  assert.notEqual(spacingOf(twoDetectors.current), spacingOf(twoDetectors.priors[0]!), 'current and prior come from detectors of different spacing');
});

/** Where a stored pixel (x right, y down) lands on screen: flips in the image's own axes, then the clockwise turns. */
function onScreen([x, y]: [number, number], columns: number, rows: number, t: DisplayTransform) {
  let [px, py, width, height] = [x, y, columns, rows];
  if (t.flipHorizontal) px = width - 1 - px;
  if (t.flipVertical) py = height - 1 - py;
  for (let turn = 0; turn < t.rotation / 90; turn++) [px, py, width, height] = [height - 1 - py, px, height, width];
  return { x: px, y: py, width, height };
}

test('the generator\'s stored-mirrored right breast is mirrored back: the nipple points away from the centre seam', async () => {
  const patient = planPatient(DEMO, 2);
  assert.equal(patient.variant, 'flipped-for-processing');
  const [current] = await syntheticExams(patient);
  const images = hangableImages(current!);
  assert.equal(images.length, 4, 'the FOR PROCESSING twins are not hung');
  const outDir = tempDir('hanging-nipple');
  try {
    for (const label of ['RCC', 'LCC']) {
      const spec = patient.exams[0]!.images.find((i) => i.viewLabel === label && !i.forProcessing)!;
      const truth = await produceImage(patient, patient.exams[0]!, spec, outDir);
      const image = images.find((i) => i.label === label)!;
      const t = orientationOf(image);
      assert.equal(t.flipHorizontal, label === 'RCC', `${label} stored ${truth.patientOrientation.join('\\')}`);
      const nipple = onScreen(truth.nipplePx, truth.columns, truth.rows, t);
      // a right breast hangs on the viewer's left facing left: chest wall right, nipple in the left half
      const nippleSide = nipple.x < nipple.width / 2 ? 'left' : 'right';
      assert.notEqual(nippleSide, chestWallSide(image, t), `${label}: nipple at x=${nipple.x} of ${nipple.width}`);
      assert.equal(nippleSide, label === 'RCC' ? 'left' : 'right');
    }
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
});
