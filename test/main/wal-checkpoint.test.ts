// The library's write-ahead log between imports: small writes (an exam's status, the audit, the AI's
// results) grew it without end, checkpointed only every 10 minutes and never cut back (a probe's
// script of status changes: 110 MB of log for a 315 kB library).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openTestStation } from '../helpers/station.ts';
import { tempDir } from '../helpers/paths.ts';
import { waitFor } from '../helpers/wait.ts';

test('the write-ahead log is checkpointed once it grows past 8 MB between imports, and cut back to 4 MB when it starts over', { timeout: 180_000 }, async () => {
  const libraryDir = tempDir('wal-library');
  const station = openTestStation({ libraryDir, walCheckMs: 100 });
  const wal = path.join(libraryDir, 'worklist.sqlite-wal');
  const walBytes = () => (fs.existsSync(wal) ? fs.statSync(wal).size : 0);
  try {
    await station.handlers.loadDemoExams({ patients: 1, priors: 0, size: 'reduced', seed: 'wal-growth' });
    const [row] = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows;
    const examId = row!.examId;
    // status changes as a script sends them, faster than the log's size is looked at: past 8 MB
    let writes = 0;
    const flip = async () => { await station.handlers.setExamStatus({ examId, status: writes++ % 2 ? 'new' : 'in_progress' }); };
    const blob = 'x'.repeat(3000);
    station.db.connection.prepare('CREATE TABLE IF NOT EXISTS wal_filler (v TEXT)').run();
    const fill = station.db.connection.prepare('INSERT INTO wal_filler (v) VALUES (?)');
    while (walBytes() < 9 * 1024 * 1024) { fill.run(blob); if (writes < 200) await flip(); }
    const grown = walBytes();
    // checkpointed on an import thread, then cut back at the next write that starts the log over
    await waitFor('the log cut back', async () => { await flip(); return walBytes() <= 4 * 1024 * 1024; }, 60_000);
    assert.ok(grown > 9 * 1024 * 1024, `${grown} bytes before`);
    assert.equal((await station.handlers.examDetail({ examId, purpose: 'prefetch' })).exam.status, writes % 2 ? 'in_progress' : 'new', 'the writes kept');
  } finally {
    await station.close();
  }
});
