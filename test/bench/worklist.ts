// Worklist query times at 100,000 exams: fills a library database directly (patients, exams,
// series, four instances each; every breast exam analysed by two AI models, the clinic's one shown),
// then times the queries the worklist screen makes.

import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseOperationInput } from '../../common/api.ts';
import { LibraryDatabase } from '../../main/db/library-database.ts';
import { searchKey } from '../../main/db/records.ts';
import { CARRY_STEP } from '../../main/ai/analysis.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchWorklist(exams = 100_000, keep = false): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'binome-bench-wl-'));
  const library = new LibraryDatabase(path.join(dir, 'worklist.sqlite'));
  const wl = library.worklist;
  const db = library.connection;
  const started = performance.now();
  const patients = Math.round(exams * 0.6);
  const families = ['MARTIN', 'BERNARD', 'DUBOIS', 'THOMAS', 'ROBERT', 'RICHARD', 'PETIT', 'DURAND', 'LEROY', 'MOREAU', 'SIMON', 'LAURENT', 'LEFEBVRE', 'MICHEL', 'GARCIA', 'DAVID'];
  const givens = ['Marie', 'Nathalie', 'Isabelle', 'Sylvie', 'Catherine', 'Françoise', 'Christine', 'Monique', 'Valérie', 'Sophie'];
  db.transaction(() => {
    const job = db.prepare("INSERT INTO import_jobs (started_at, finished_at, status, pid) VALUES ('2026-01-01', '2026-01-01', 'done', 0)").run().lastInsertRowid;
    const ip = db.prepare('INSERT INTO patients (patient_id, issuer, name, name_search, birth_date, sex) VALUES (?, \'\', ?, ?, ?, \'F\')');
    for (let p = 0; p < patients; p++) {
      const name = `${families[p % families.length]}${p % 997}^${givens[p % givens.length]}`;
      ip.run(`PID${String(p).padStart(8, '0')}`, name, searchKey(name), `19${50 + (p % 40)}0101`);
    }
    // one exam in ten is not breast imaging (a CT, say), as in a clinic's shared archive
    const is = db.prepare(`INSERT INTO studies (patient_ref, study_uid, study_date, study_time, accession, modalities, status, image_count, views, imported_at, breast)
      VALUES (?, ?, ?, '101500', ?, 'MG', ?, 4, 'RCC LCC RMLO LMLO', '2026-01-01T00:00:00Z', ?)`);
    const ise = db.prepare("INSERT INTO series (study_ref, series_uid, modality, series_number) VALUES (?, ?, 'MG', 1)");
    const ii = db.prepare(`INSERT INTO instances (series_ref, sop_uid, sop_class_uid, instance_number, file_hash, file_size, transfer_syntax, rows, columns,
      bits_stored, photometric, image_laterality, view_position, view_label, presentation_intent, import_job)
      VALUES (?, ?, '1.2.840.10008.5.1.4.1.1.1.2', ?, ?, 17000000, '1.2.840.10008.1.2.4.80', 3328, 2560, 14, 'MONOCHROME2', ?, ?, ?, 'FOR PRESENTATION', ?)`);
    const ij = db.prepare(`INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, queued_at, finished_at, exam_score)
      VALUES (?, ?, '1.0.0', 'x', 'done', '2026-01-01', '2026-01-01', ?)`);
    const statuses = ['read', 'read', 'read', 'new', 'in_progress'];
    for (let e = 0; e < exams; e++) {
      const day = new Date(Date.UTC(2016, 0, 1) + (e * 86400000 * 3650) / exams).toISOString().slice(0, 10).replace(/-/g, '');
      const study = Number(is.run((e * 7919) % patients + 1, `2.25.${e}`, day, `A${e}`, statuses[e % 5], e % 10 === 9 ? 0 : 1).lastInsertRowid);
      const series = Number(ise.run(study, `2.25.${e}.1`).lastInsertRowid);
      ['RCC', 'LCC', 'RMLO', 'LMLO'].forEach((label, i) => ii.run(series, `2.25.${e}.1.${i}`, i + 1, `${e}`.padStart(64, '0'), label[0], label.slice(1), label, job));
      // the bundled model and a clinic's own analysed every breast exam (the clinic's first, the bundled model's newer)
      if (e % 10 !== 9) for (const [model, score] of [['org.clinic.own', (e * 0.618) % 1], ['org.binome.synth-detector', (e * 0.382) % 1]] as const) {
        ij.run(study, model, score);
      }
    }
    db.prepare("INSERT INTO settings (key, value) VALUES ('ai.shownModel', 'org.clinic.own')").run();
    // the reader's first impressions of the exams read (second look: their scores show, the others' are held back)
    db.prepare("INSERT INTO first_impressions (study_ref, reader, impression, marks_mode, recorded_at) SELECT id, 'local-user', 'normal', 'second-look', '2026-01-01' FROM studies WHERE status = 'read'").run();
  })();
  const fillSeconds = (performance.now() - started) / 1000;
  db.pragma('optimize');
  db.exec('ANALYZE');

  const queries: [string, object, { withheldFor?: string }?][] = [
    ['first page, newest first', {}],
    ['first page, every modality', { filter: { scope: 'all' } }],
    ['first page, by patient name', { sort: { field: 'patientName', direction: 'asc' } }],
    ['first page, by status', { sort: { field: 'status', direction: 'asc' } }],
    ['first page, by AI score (triage)', { sort: { field: 'aiScore', direction: 'desc' } }],
    ['first page, by AI score, lowest first', { sort: { field: 'aiScore', direction: 'asc' } }],
    ['by AI score, second look (held first)', { sort: { field: 'aiScore', direction: 'desc' } }, { withheldFor: 'local-user' }],
    ['unread only (new + in progress)', { filter: { status: ['new', 'in_progress'] } }],
    ['name prefix "MARTIN1"', { filter: { text: 'martin1' } }],
    ['given name "Isabelle"', { filter: { text: 'isabelle' } }],
    ['patient ID prefix', { filter: { text: 'PID0001234' } }],
    ['accession exact', { filter: { text: 'A4242' } }],
    ['one month', { filter: { dateFrom: '20200101', dateTo: '20200131' } }],
    ['page 100 (offset 5,000)', { offset: 5000 }],
    ['last page (offset 99,950)', { offset: exams - 50 }],
  ];
  console.log(`\nWorklist at ${exams.toLocaleString('en')} exams (${patients.toLocaleString('en')} patients, ${(exams * 4).toLocaleString('en')} instances; filled in ${fillSeconds.toFixed(1)} s, database ${(fs.statSync(path.join(dir, 'worklist.sqlite')).size / 1048576).toFixed(0)} MB)`);
  console.log('query'.padEnd(36) + 'median ms   max ms   total rows');
  for (const [name, input, options] of queries) {
    const q = parseOperationInput('worklistQuery', input);
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      total = wl.query(q, options).total;
      times.push(performance.now() - t);
    }
    console.log(name.padEnd(36) + median(times).toFixed(2).padStart(9) + Math.max(...times).toFixed(2).padStart(9) + String(total).padStart(13));
  }
  const detailTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    wl.examDetail(1 + ((i * 977) % exams));
    detailTimes.push(performance.now() - t);
  }
  console.log('exam detail (series, instances, priors)'.padEnd(36) + median(detailTimes).toFixed(2).padStart(9) + Math.max(...detailTimes).toFixed(2).padStart(9));
  // choosing another model to show: every exam's triage score follows (settings triggers, migrations 0010 and 0015)
  const switchTimes: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t = performance.now();
    library.settings.setChanged({ 'ai.shownModel': i % 2 ? 'org.clinic.own' : 'org.binome.synth-detector', 'ai.shownVersion': '1.0.0' });
    switchTimes.push(performance.now() - t);
  }
  console.log('another model shown (every score)'.padEnd(36) + median(switchTimes).toFixed(2).padStart(9) + Math.max(...switchTimes).toFixed(2).padStart(9));
  // a new version of the bundled model whose manifest's words alone changed: its earlier version's
  // analyses kept for it (AiTables.carryOver: each exam's job, scores and findings copied, the triage
  // triggers run), once, at the station's start, on the main thread. Three findings an analysis.
  db.exec(`UPDATE ai_jobs SET results_sha256 = 'same', exam_images = 4, breast_scores = '{"R":0.5}', timings = '{}' WHERE model_id = 'org.binome.synth-detector';
    INSERT INTO ai_findings (job_ref, instance_ref, class, score, x, y, x0, y0, x1, y1)
      SELECT j.id, i.id, 'mass', j.exam_score, 100, 200, 90, 190, 110, 210 FROM ai_jobs j JOIN series se ON se.study_ref = j.study_ref JOIN instances i ON i.series_ref = se.id
      WHERE j.model_id = 'org.binome.synth-detector' AND i.view_label <> 'LMLO';`);
  if (process.env.BENCH_SKIP_CARRY) { library.close(); console.log(`kept ${dir}`); return; }
  // (the station's start queues every exam for the new version first: enqueueAll)
  const model = { id: 'org.binome.synth-detector', version: '1.0.1', sha256: 'x', resultsSha256: 'same' };
  library.ai.enqueueAll(model);
  /** One carry-over to its end: each step's time, and how many analyses it kept. */
  const carryOver = (): { steps: number[]; kept: number } => {
    const { keepNext } = library.ai.carryOver(model);
    const steps: number[] = [];
    let kept = 0;
    for (;;) {
      const t = performance.now();
      const step = keepNext(CARRY_STEP);
      if (step === null) return { steps, kept };
      steps.push(performance.now() - t);
      kept += step;
    }
  };
  const carryStarted = performance.now();
  const { steps, kept } = carryOver();
  const carried = performance.now() - carryStarted;
  // at every later start, nothing left to keep: a read a step
  const { steps: again } = carryOver();
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  console.log(`earlier version's analyses kept: ${kept.toLocaleString('en')} in ${(carried / 1000).toFixed(1)} s, steps of ${CARRY_STEP} exam ids: median ${median(steps).toFixed(1)} ms, max ${Math.max(...steps).toFixed(1)} ms; at a later start, none left to keep: ${sum(again).toFixed(0)} ms in all, max ${Math.max(...again).toFixed(1)} ms a step`);
  library.close();
  if (keep) console.log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
