// The model the station ships (models/binome-synth-detector, trained on synthetic exams only), run
// as the station runs it: it marks the obvious lesions of freshly generated exams (seeds it never
// saw) at its default operating point, and stays quiet on lesion-free ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeImage } from '../../main/ai/image-analysis.ts';
import type { ImageFinding } from '../../main/ai/image-analysis.ts';
import { scoreExamImages } from '../../main/ai/two-view.ts';
import { checkModelFolder } from '../../main/ai/model-package.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

const FOLDER = path.join(ROOT, 'models', 'binome-synth-detector');

interface Truth { abnormal: boolean; images: { file: string; viewLabel: string; forProcessing: boolean; pixelSpacing: number; lesions: { id: string; class: string; bboxPx: [number, number, number, number] }[] }[] }

test('the shipped model marks high-contrast lesions of unseen exams and stays quiet on lesion-free ones', { timeout: 600_000 }, async () => {
  const seen = JSON.parse(fs.readFileSync(path.join(FOLDER, 'train', 'seeds.json'), 'utf8')) as { training: string[]; validation: string[] };
  const checked = await checkModelFolder(FOLDER, { providers: ['cpu'] });
  assert.ok(checked.ok, `the shipped model is refused: ${JSON.stringify(checked)}`);
  const { manifest, opened } = checked.model;
  assert.equal(manifest.training.data, 'synthetic');
  assert.equal(manifest.intendedUse.notForDiagnosticUse, true);
  const threshold = manifest.calibration.operatingPoints.find((p) => p.name === manifest.calibration.defaultOperatingPoint)!.threshold;
  const dir = tempDir('shipped-model');
  try {
    const read = async (seed: string, abnormalRate: number) => {
      assert.ok(!seen.training.includes(seed) && !seen.validation.includes(seed));
      const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed, patients: 2, priors: 0, size: 'full', variants: false, abnormalRate, contrast: [1.3, 1.5] }, path.join(dir, seed), { workers: 2 });
      const exams = [];
      for (const gt of demo.groundTruthFiles) {
        const truth = JSON.parse(fs.readFileSync(path.join(dir, seed, gt), 'utf8')) as Truth;
        const read: { image: Truth['images'][number]; viewLabel: string; laterality: 'R' | 'L'; findings: ImageFinding[]; imageScore: number }[] = [];
        for (const image of truth.images.filter((i) => !i.forProcessing)) {
          // as the station reads an exam (main/ai/analysis.ts): findings weighed across its views (two-view.ts), then cut at the threshold
          const result = await analyzeImage(path.join(dir, seed, image.file), manifest, opened.session, { floor: Math.min(threshold, manifest.output.twoView?.partnerFloor ?? threshold) });
          read.push({ image, viewLabel: image.viewLabel, laterality: image.viewLabel[0] as 'R' | 'L', findings: result.findings, imageScore: result.imageScore });
        }
        const images = scoreExamImages(read, manifest.output, threshold).map((scored, i) => ({ image: read[i]!.image, findings: scored.findings }));
        exams.push({ truth, images });
      }
      return exams;
    };

    const abnormal = await read('shipped-model-lesions', 1);
    let lesions = 0, found = 0;
    for (const exam of abnormal) {
      assert.ok(exam.truth.abnormal);
      const ids = new Set(exam.images.flatMap((i) => i.image.lesions.map((l) => l.id)));
      for (const id of ids) {
        lesions++;
        // found when a mark of any class sits in its box (grown by 5 mm) on at least one of its views
        const hit = exam.images.some(({ image, findings }) => image.lesions.filter((l) => l.id === id).some((l) => {
          const m = 5 / image.pixelSpacing;
          return findings.some((f) => f.x >= l.bboxPx[0] - m && f.x <= l.bboxPx[2] + m && f.y >= l.bboxPx[1] - m && f.y <= l.bboxPx[3] + m);
        }));
        if (hit) found++;
      }
    }
    assert.ok(lesions >= 2, `the seed made ${lesions} lesion(s)`);
    assert.equal(found, lesions, `${found} of ${lesions} high-contrast lesions marked`);

    const normal = await read('shipped-model-normal', 0);
    for (const exam of normal) {
      assert.ok(!exam.truth.abnormal);
      const marks = exam.images.reduce((n, i) => n + i.findings.length, 0);
      // quiet: at most one false mark per image on average at the default operating point (it was calibrated at 0.5)
      assert.ok(marks <= exam.images.length, `${marks} marks on a lesion-free exam of ${exam.images.length} images`);
    }
  } finally {
    await opened.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
