// `binome demo`: writes synthetic screening exams (DICOM Part 10 plus ground truth JSON per exam),
// rendering images on worker threads, one image per task.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerPool, workerEntry } from '../workers/pool.ts';
import type { SynthTasks } from './synth-tasks.ts';
import { planPatient } from './plan.ts';
import type { DemoOptions, ExamSpec, PatientSpec } from './plan.ts';
import { examFolder, produceImage } from './produce.ts';
import type { ImageTruth } from './produce.ts';
import { clockPosition, depthThird } from './anatomy.ts';

type ImageTask = { id: number; patient: number; exam: number; image: number };

export interface DemoProgress { imagesDone: number; imagesTotal: number }

export interface DemoSummary {
  outDir: string;
  patients: number;
  exams: number;
  images: number;
  bytes: number;
  seconds: number;
  /** Wall time per exam of four screening views (total time / exams, extra views included). */
  secondsPerExam: number;
  groundTruthFiles: string[];
  /** The women's earlier exams (read in their time: a library marks them read, not new). */
  priorStudyUids: string[];
  /** Absolute paths of the DICOM files written. */
  dicomFiles: string[];
}

export const GENERATOR_VERSION = 'binome-synth 1';

function groundTruth(options: DemoOptions, patient: PatientSpec, exam: ExamSpec, images: ImageTruth[]) {
  const woman = patient.woman;
  const present = (id: string) => (exam.images[0]?.acquisition.lesionScale.get(id) ?? 0) > 0;
  const lesions = (['R', 'L'] as const).flatMap((side) => woman.breasts[side].lesions.filter((l) => present(l.id)).map((l) => ({
    id: l.id,
    class: l.kind,
    shape: l.shape,
    side,
    sizeMm: Math.round(l.size * (exam.images[0]!.acquisition.lesionScale.get(l.id) ?? 1) * 10) / 10,
    clock: clockPosition(side, l.superior, l.lateral),
    depthMm: Math.round(l.depth),
    depthThird: depthThird(woman.breasts[side].views.CC, l.depth),
    contrast: Math.round(l.contrast * 100) / 100,
    // relative to the previous exam of this patient
    change: exam.examIndex === patient.exams.length - 1 ? 'first-exam' : l.change,
  })));
  const breastAbnormal = (side: 'R' | 'L') => lesions.some((l) => l.side === side);
  return {
    generator: GENERATOR_VERSION,
    notice: 'Synthetic data: not a patient, not for diagnosis',
    seed: options.seed,
    patient: { id: woman.patientId, name: woman.patientName, birthDate: woman.birthDate, density: woman.density },
    exam: {
      studyInstanceUid: exam.studyInstanceUid, studyDate: exam.studyDate, accessionNumber: exam.accessionNumber,
      isPrior: exam.examIndex > 0, priorIndex: exam.examIndex, variant: exam.variant, detector: exam.detector.manufacturerModel,
      priorStudyInstanceUids: patient.exams.filter((e) => e.examIndex > exam.examIndex).map((e) => e.studyInstanceUid),
    },
    abnormal: lesions.length > 0,
    breasts: { R: { abnormal: breastAbnormal('R'), lesions: lesions.filter((l) => l.side === 'R').map((l) => l.id) }, L: { abnormal: breastAbnormal('L'), lesions: lesions.filter((l) => l.side === 'L').map((l) => l.id) } },
    lesions,
    images,
  };
}

export interface DemoHooks {
  onProgress?: (p: DemoProgress) => void;
  /** An exam's files are all written (with its ground truth): it can be imported while the others are made. */
  onExam?: (exam: { dicomFiles: string[]; studyInstanceUid: string; isPrior: boolean }) => Promise<unknown> | void;
  workers?: number;
}

export async function generateDemo(options: DemoOptions, outDir: string, hooks: DemoHooks = {}): Promise<DemoSummary> {
  const started = performance.now();
  const createdOutDir = !fs.existsSync(outDir);
  fs.mkdirSync(outDir, { recursive: true });
  const patients = Array.from({ length: options.patients }, (_, i) => planPatient(options, i));
  const tasks: ImageTask[] = [];
  for (const p of patients) p.exams.forEach((e, ei) => e.images.forEach((_, ii) => tasks.push({ id: tasks.length, patient: p.index, exam: ei, image: ii })));
  const truths = new Map<number, ImageTruth>();
  const workerCount = Math.min(hooks.workers ?? Math.max(1, Math.min(4, os.availableParallelism())), tasks.length);
  let done = 0;
  const report = () => hooks.onProgress?.({ imagesDone: done, imagesTotal: tasks.length });
  const groundTruthFiles: string[] = [];
  const priorStudyUids: string[] = [];
  let bytes = 0;
  const examKey = (t: { patient: number; exam: number }) => `${t.patient}/${t.exam}`;
  const remaining = new Map<string, number>();
  for (const t of tasks) remaining.set(examKey(t), (remaining.get(examKey(t)) ?? 0) + 1);
  const examsHandedOver: Promise<unknown>[] = [];
  const handedOver = new Set<string>();
  /** Once an exam's last image is written: its ground truth, then the caller may take it. */
  const finished = (t: ImageTask, truth: ImageTruth) => {
    truths.set(t.id, truth);
    done++;
    report();
    const key = examKey(t);
    const left = remaining.get(key)! - 1;
    remaining.set(key, left);
    if (left) return;
    const patient = patients[t.patient]!;
    const exam = patient.exams[t.exam]!;
    const mine = tasks.filter((x) => examKey(x) === key);
    const images = mine.map((x) => truths.get(x.id)!);
    for (const img of images) bytes += fs.statSync(path.join(outDir, img.file)).size;
    const file = path.join(examFolder(patient, exam), 'ground-truth.json');
    fs.writeFileSync(path.join(outDir, file), JSON.stringify(groundTruth(options, patient, exam, images), null, 2));
    groundTruthFiles.push(file.split(path.sep).join('/'));
    if (exam.examIndex > 0) priorStudyUids.push(exam.studyInstanceUid);
    if (hooks.onExam) handedOver.add(key);
    const handed = hooks.onExam?.({ dicomFiles: images.map((img) => path.join(outDir, img.file)), studyInstanceUid: exam.studyInstanceUid, isPrior: exam.examIndex > 0 });
    if (handed) examsHandedOver.push(handed);
  };

  try {
    await produceAll();
  } catch (error) {
    // a disk filled, a thread gone: what this run wrote of an exam not handed over is removed, not left
    // filling the disk (a full disk kept 60 MB of half-made images: a probe); exams handed over are the caller's
    removeUnfinished(patients, outDir, (p, e) => handedOver.has(`${p}/${e}`), createdOutDir);
    throw error;
  }
  await Promise.all(examsHandedOver);
  groundTruthFiles.sort();
  const exams = patients.reduce((n, p) => n + p.exams.length, 0);
  const seconds = (performance.now() - started) / 1000;
  fs.writeFileSync(path.join(outDir, 'demo.json'), JSON.stringify({ generator: GENERATOR_VERSION, options, groundTruthFiles, notice: 'Synthetic data: not a patient, not for diagnosis' }, null, 2));
  const dicomFiles = tasks.map((t) => path.join(outDir, truths.get(t.id)!.file));
  return { outDir, patients: patients.length, exams, images: tasks.length, bytes, seconds, secondsPerExam: seconds / exams, groundTruthFiles, priorStudyUids: priorStudyUids.sort(), dicomFiles };

  async function produceAll(): Promise<void> {
    if (workerCount <= 1) {
      for (const t of tasks) {
        const patient = patients[t.patient]!;
        const exam = patient.exams[t.exam]!;
        finished(t, await produceImage(patient, exam, exam.images[t.image]!, outDir));
      }
      return;
    }
    const pool = new WorkerPool<SynthTasks>({ name: 'demo', entry: workerEntry(import.meta.filename, 'synth.worker'), size: workerCount });
    try {
      await Promise.all(tasks.map(async (t) => {
        finished(t, await pool.run('renderImage', { options, outDir, patient: t.patient, exam: t.exam, image: t.image }));
      }));
    } finally {
      await pool.close(); // (its threads stopped: none writes after this)
    }
  }
}

/**
 * Removes the images and ground truth of the exams not kept (those the caller did not take), then the
 * folders that leaves empty, the demo's own folder included where this run made it. Best effort: a file that cannot be removed stays.
 */
function removeUnfinished(patients: readonly PatientSpec[], outDir: string, kept: (patient: number, exam: number) => boolean, createdOutDir: boolean): void {
  const quietly = (remove: () => void) => { try { remove(); } catch { /* left as it is */ } };
  for (const [pi, patient] of patients.entries()) {
    for (const [ei, exam] of patient.exams.entries()) {
      if (kept(pi, ei)) continue;
      const folder = path.join(outDir, examFolder(patient, exam));
      for (const image of exam.images) quietly(() => fs.rmSync(path.join(folder, `${image.key}.dcm`), { force: true }));
      quietly(() => fs.rmSync(path.join(folder, 'ground-truth.json'), { force: true }));
      quietly(() => fs.rmdirSync(folder));
    }
    quietly(() => fs.rmdirSync(path.join(outDir, patient.woman.patientId)));
  }
  if (createdOutDir) quietly(() => fs.rmdirSync(outDir));
}
