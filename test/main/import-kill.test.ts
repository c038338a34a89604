import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseOperationInput } from '../../common/api.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';
import { openTestStation } from '../helpers/station.ts';

const EXAMS = 250;

test('a process killed during a large import leaves a sound database, no half exam, and a re-run completes it', async () => {
  const source = tempDir('kill-src');
  writeScreeningExams(source, EXAMS, { rows: 128, columns: 96 });
  const library = tempDir('kill-lib');

  // Start the import in a child process and SIGKILL it once several batches have committed.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/helpers/import-child.ts'), library, source, '40'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let killedAt = 0;
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line) as { filesDone?: number; summary?: unknown };
        if (event.summary) reject(new Error('the import finished before it could be killed; make it larger'));
        if (!killedAt && (event.filesDone ?? 0) >= EXAMS * 4 * 0.4) {
          killedAt = event.filesDone!;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
  assert.ok(killedAt > 0, 'the child was killed mid-import');

  // The database is intact and shows no exam partially: visible exams are complete or absent.
  const raw = new Database(path.join(library, 'worklist.sqlite'));
  assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
  const committed = (raw.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
  assert.ok(committed > 0 && committed < EXAMS * 4, `some but not all batches committed (${committed})`);
  const visibleIncomplete = raw.prepare('SELECT count(*) AS n FROM studies WHERE pending_job IS NULL AND image_count != 4').get() as { n: number };
  assert.equal(visibleIncomplete.n, 0);
  const visible = (raw.prepare('SELECT count(*) AS n FROM studies WHERE pending_job IS NULL').get() as { n: number }).n;
  assert.equal(visible, 0, 'exams of an unfinished import are hidden');
  raw.close();

  // Re-running the same import completes it: every exam visible with its four views.
  const station = openTestStation({ libraryDir: library });
  try {
    const jobs = station.db.connection.prepare('SELECT status FROM import_jobs ORDER BY id').all() as { status: string }[];
    assert.deepEqual(jobs.map((j) => j.status), ['interrupted']);
    // the station tells which import did not finish, and resumes it from its own record
    const unfinished = await station.handlers.unfinishedImports({});
    assert.equal(unfinished.length, 1);
    assert.deepEqual(unfinished[0]!.paths, [source]);
    assert.equal(unfinished[0]!.status, 'interrupted');
    assert.ok(unfinished[0]!.examsHeldBack > 0);
    const rerun = await station.handlers.resumeImport({ jobId: unfinished[0]!.jobId });
    assert.equal(rerun.status, 'done');
    assert.equal(rerun.imported + rerun.duplicates, EXAMS * 4);
    assert.equal(rerun.duplicates, committed);
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { limit: 500 }));
    assert.equal(page.total, EXAMS);
    assert.ok(page.rows.every((r) => r.imageCount === 4 && r.views.join(' ') === 'RCC LCC RMLO LMLO'));
    assert.equal(station.db.connection.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(await station.handlers.unfinishedImports({}), []);
  } finally {
    await station.close();
  }
});
