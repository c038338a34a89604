import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, DatabaseTooNewError } from '../../main/db/migrations/index.ts';
import { openDatabase } from '../../main/db/connection.ts';
import { tempDir } from '../helpers/paths.ts';

test('migrations bring an empty database to the latest version, once', () => {
  const db = new Database(':memory:');
  assert.deepEqual(migrate(db), { from: 0, to: MIGRATIONS.length });
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.deepEqual(migrate(db), { from: MIGRATIONS.length, to: MIGRATIONS.length });
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  for (const t of ['patients', 'studies', 'series', 'instances', 'import_jobs', 'quarantine', 'settings', 'audit_log']) assert.ok(tables.includes(t), t);
});

test('migration 0001 alone, then 0002 on top of existing data', () => {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS.slice(0, 1));
  db.prepare("INSERT INTO patients (patient_id, name) VALUES ('X', 'A^B')").run();
  migrate(db);
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.equal((db.prepare('SELECT count(*) AS n FROM patients').get() as { n: number }).n, 1);
  db.prepare("INSERT INTO settings (key, value) VALUES ('locale', 'fr')").run();
});

test('migration 0003 keeps existing import jobs and adds their sources', () => {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS.slice(0, 2));
  db.prepare("INSERT INTO import_jobs (started_at, status, pid) VALUES ('2026-01-01', 'done', 1)").run();
  migrate(db);
  assert.deepEqual(db.prepare('SELECT status, sources FROM import_jobs').all(), [{ status: 'done', sources: null }]);
});

test('a database from a newer version is refused, not modified', () => {
  const db = new Database(':memory:');
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  assert.throws(() => migrate(db), DatabaseTooNewError);
  assert.equal((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n, 0);
});

test('a failing migration rolls back and leaves the version unchanged', () => {
  const db = new Database(':memory:');
  const broken = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'broken', up: (d: Database.Database) => { d.exec('CREATE TABLE t (x)'); d.exec('SELECT nonsense FROM nowhere'); } }];
  assert.throws(() => migrate(db, broken));
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.equal((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get() as { n: number }).n, 0);
});

test('migration numbers must follow each other', () => {
  const db = new Database(':memory:');
  assert.throws(() => migrate(db, [{ version: 2, name: 'gap', up: () => undefined }]), /expected 1/);
});

test('the worklist database opens in WAL mode with foreign keys on', () => {
  const dir = tempDir('db');
  const db = openDatabase(path.join(dir, 'w.sqlite'));
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  db.close();
});

test('migration 0004: patients may share an ID, holds replace the single pending job, counts split images from other objects', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 3));
  db.exec(`INSERT INTO import_jobs (id, started_at, status, pid) VALUES (1, '2026-01-01', 'interrupted', 4242);
    INSERT INTO patients (id, patient_id, issuer, name, name_search) VALUES (1, 'SYN000001', '', 'RICHARD^NATHALIE', 'RICHARD NATHALIE');
    INSERT INTO studies (id, patient_ref, study_uid, modalities, imported_at, pending_job) VALUES (1, 1, '1.2.3', 'MG', 'now', 1), (2, 1, '1.2.4', 'CT', 'now', NULL);
    INSERT INTO series (id, study_ref, series_uid, modality) VALUES (1, 1, '1.2.3.1', 'MG'), (2, 1, '1.2.3.2', 'SR');
    INSERT INTO instances (series_ref, sop_uid, sop_class_uid, file_hash, file_size, transfer_syntax, is_image, for_processing) VALUES
      (1, 'a', '1.2.840.10008.5.1.4.1.1.1.2', 'h1', 1, 'ts', 1, 0), (1, 'b', '1.2.840.10008.5.1.4.1.1.1.2.1', 'h2', 1, 'ts', 1, 1),
      (2, 'c', '1.2.840.10008.5.1.4.1.1.88.67', 'h3', 1, 'ts', 0, 0);`);
  migrate(db);
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  // a second woman with the same Patient ID can now be stored
  db.prepare("INSERT INTO patients (patient_id, issuer, name, name_search) VALUES ('SYN000001', '', 'DUBOIS^NATHALIE', 'DUBOIS NATHALIE')").run();
  assert.equal((db.prepare("SELECT count(*) AS n FROM patients WHERE patient_id = 'SYN000001'").get() as { n: number }).n, 2);
  assert.deepEqual(db.prepare('SELECT study_ref, job_ref FROM study_holds').all(), [{ study_ref: 1, job_ref: 1 }]);
  assert.deepEqual(db.prepare('SELECT id, breast, image_count, object_count FROM studies ORDER BY id').all(),
    [{ id: 1, breast: 1, image_count: 1, object_count: 2 }, { id: 2, breast: 0, image_count: 0, object_count: 0 }]);
  assert.deepEqual(db.prepare('SELECT owner FROM import_jobs').all(), [{ owner: '4242:?' }]);
});

test('two processes opening a new library at once migrate it once', async () => {
  const { spawn } = await import('node:child_process');
  const dir = tempDir('db-race');
  const file = path.join(dir, 'w.sqlite');
  const script = `import { openDatabase } from ${JSON.stringify(new URL('../../main/db/connection.ts', import.meta.url).pathname)}; openDatabase(${JSON.stringify(file)}).close();`;
  const run = () => new Promise<number>((resolve) => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' }).on('exit', (c) => resolve(c ?? 1)));
  assert.deepEqual(await Promise.all([run(), run(), run()]), [0, 0, 0]);
  const db = new Database(file);
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

test('migration 0006: first impressions, one per exam and reader, of the known values only, gone with their exam', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 5));
  db.exec(`INSERT INTO patients (id, patient_id, issuer, name, name_search) VALUES (1, 'SYN000001', '', 'A^B', 'A B');
    INSERT INTO studies (id, patient_ref, study_uid, modalities, imported_at) VALUES (1, 1, '1.2.3', 'MG', 'now');`);
  migrate(db);
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  const insert = db.prepare('INSERT INTO first_impressions (study_ref, reader, impression, marks_mode, recorded_at) VALUES (?, ?, ?, ?, ?)');
  insert.run(1, 'local-user', 'recall', 'second-look', '2026-01-01T00:00:00Z');
  assert.throws(() => insert.run(1, 'local-user', 'normal', 'second-look', 'later'), /UNIQUE/);
  insert.run(1, 'second-reader', 'normal', 'concurrent', 'later');
  assert.throws(() => insert.run(1, 'third', 'maybe', 'second-look', 'later'), /CHECK/);
  assert.throws(() => insert.run(1, 'third', 'normal', 'sometimes', 'later'), /CHECK/);
  assert.throws(() => insert.run(99, 'third', 'normal', 'concurrent', 'later'), /FOREIGN KEY/);
  db.exec('DELETE FROM studies WHERE id = 1');
  assert.equal((db.prepare('SELECT count(*) AS n FROM first_impressions').get() as { n: number }).n, 0);
});

test('migration 0010: each exam\'s shown AI score in its row, filled from existing analyses and kept by triggers', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 9));
  db.exec(`INSERT INTO patients (id, patient_id, issuer, name, name_search) VALUES (1, 'SYN000001', '', 'A^B', 'A B');
    INSERT INTO studies (id, patient_ref, study_uid, modalities, imported_at) VALUES (1, 1, '1.2.3', 'MG', 'now'), (2, 1, '1.2.4', 'MG', 'now');
    INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, queued_at, exam_score) VALUES
      (1, 'org.clinic.own', '1', 'x', 'done', 'now', 0.3), (1, 'org.binome.bundled', '1', 'x', 'done', 'now', 0.9),
      (2, 'org.clinic.own', '1', 'x', 'queued', 'now', NULL);
    INSERT INTO settings (key, value) VALUES ('ai.shownModel', 'org.clinic.own');`);
  migrate(db);
  const score = (id: number) => (db.prepare('SELECT ai_score FROM studies WHERE id = ?').get(id) as { ai_score: number | null }).ai_score;
  assert.equal(score(1), 0.3, 'the shown model\'s, filled in');
  assert.equal(score(2), null, 'not analysed yet');
  db.prepare(`UPDATE ai_jobs SET status = 'done', exam_score = 0.7 WHERE study_ref = 2`).run();
  assert.equal(score(2), 0.7, 'an analysis that finishes');
  db.prepare(`INSERT INTO settings (key, value) VALUES ('ai.shownModel', 'org.binome.bundled') ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run();
  assert.equal(score(1), 0.9, 'another model shown');
  assert.equal(score(2), 0.7, 'the only analysis there is');
  db.prepare(`DELETE FROM ai_jobs WHERE study_ref = 1 AND model_id = 'org.binome.bundled'`).run();
  assert.equal(score(1), 0.3);
  db.prepare(`INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, queued_at, exam_score) VALUES (1, 'org.binome.bundled', '2', 'x', 'queued', 'now', NULL)`).run();
  assert.equal(score(1), 0.3, 'a queued analysis has no score yet');
  db.exec('DELETE FROM studies WHERE id = 1');
  assert.equal((db.prepare('SELECT count(*) AS n FROM ai_jobs WHERE study_ref = 1').get() as { n: number }).n, 0);
});

test('migration 0015: the shown model\'s version the station runs goes first in the AI score, which follows a change of that version; other models\' versions keep the newest first', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 14));
  db.exec(`INSERT INTO patients (id, patient_id, issuer, name, name_search) VALUES (1, 'SYN000001', '', 'A^B', 'A B');
    INSERT INTO studies (id, patient_ref, study_uid, modalities, imported_at) VALUES (1, 1, '1.2.3', 'MG', 'now'), (2, 1, '1.2.4', 'MG', 'now');
    INSERT INTO settings (key, value) VALUES ('ai.shownModel', 'org.clinic.own');
    INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, queued_at, exam_score) VALUES
      (1, 'org.clinic.own', '1', 'x', 'done', 'now', 0.3), (1, 'org.clinic.own', '2', 'x', 'done', 'now', 0.6),
      (2, 'org.other', '1', 'x', 'done', 'now', 0.2), (2, 'org.other', '2', 'x', 'done', 'now', 0.8);`);
  const score = (id: number) => (db.prepare('SELECT ai_score FROM studies WHERE id = ?').get(id) as { ai_score: number | null }).ai_score;
  assert.equal(score(1), 0.6, 'at schema 14: the newest');
  migrate(db);
  assert.equal(score(1), 0.6, 'no version written yet: the newest still');
  db.prepare(`INSERT INTO settings (key, value) VALUES ('ai.shownVersion', '1')`).run();
  assert.equal(score(1), 0.3, 'the version the station runs');
  assert.equal(score(2), 0.8, 'another model\'s versions: the newest (the version is the shown model\'s)');
  db.prepare(`UPDATE settings SET value = '2' WHERE key = 'ai.shownVersion'`).run();
  assert.equal(score(1), 0.6, 'the version changed');
  db.prepare(`UPDATE ai_jobs SET model_version = '3' WHERE study_ref = 1 AND exam_score = 0.6`).run();
  assert.equal(score(1), 0.6, 'a job\'s version changed: the newest again (no job of version 2)');
  db.prepare(`UPDATE ai_jobs SET model_version = '2' WHERE study_ref = 1 AND exam_score = 0.3`).run();
  assert.equal(score(1), 0.3, 'a job\'s version changed to the one the station runs');
});

test('migration 0017: an exam whose shown analysis failed has no triage score; one queued for a new version keeps the previous score until it is done', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 16));
  db.exec(`INSERT INTO patients (id, patient_id, issuer, name, name_search) VALUES (1, 'SYN000001', '', 'A^B', 'A B');
    INSERT INTO studies (id, patient_ref, study_uid, modalities, imported_at) VALUES (1, 1, '1.2.3', 'MG', 'now'), (2, 1, '1.2.4', 'MG', 'now');
    INSERT INTO settings (key, value) VALUES ('ai.shownModel', 'org.binome.synth-detector'), ('ai.shownVersion', '0.4.1');
    INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, queued_at, exam_score) VALUES
      (1, 'org.binome.synth-detector', '0.4.0', 'x', 'done', 'now', 0.7), (2, 'org.binome.synth-detector', '0.4.0', 'x', 'done', 'now', 0.4);
    INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, queued_at, failure_code) VALUES
      (1, 'org.binome.synth-detector', '0.4.1', 'x', 'failed', 'now', 'images_too_coarse'), (2, 'org.binome.synth-detector', '0.4.1', 'x', 'queued', 'now', NULL);`);
  const score = (id: number) => (db.prepare('SELECT ai_score FROM studies WHERE id = ?').get(id) as { ai_score: number | null }).ai_score;
  assert.equal(score(1), 0.7, 'at schema 16: the older version\'s score of an exam whose shown analysis failed');
  migrate(db);
  assert.equal(score(1), null, 'the shown analysis failed: no score to sort by');
  assert.equal(score(2), 0.4, 'the shown analysis queued: the previous score until it is done');
  db.prepare(`UPDATE ai_jobs SET status = 'done', exam_score = 0.2 WHERE study_ref = 2 AND model_version = '0.4.1'`).run();
  assert.equal(score(2), 0.2, 'done: its own score');
  db.prepare(`UPDATE ai_jobs SET status = 'failed' WHERE study_ref = 2 AND model_version = '0.4.1'`).run();
  assert.equal(score(2), null, 'failed since: none');
  db.prepare(`UPDATE settings SET value = '0.4.0' WHERE key = 'ai.shownVersion'`).run();
  assert.deepEqual([score(1), score(2)], [0.7, 0.4], 'the version shown changed back: its finished analyses');
});

test('migration 0011: a model\'s analyses are counted by state through an index, not by walking every analysis', () => {
  const db = new Database(':memory:');
  migrate(db);
  const plan = (db.prepare('EXPLAIN QUERY PLAN SELECT status, count(*) AS n FROM ai_jobs WHERE model_id = ? AND model_version = ? GROUP BY status')
    .all('org.binome.synth-detector', '0.4.0') as { detail: string }[]).map((r) => r.detail).join('; ');
  assert.match(plan, /USING COVERING INDEX ai_jobs_by_model/);
});

test('migration 0019: the queue\'s jobs carry their exam\'s date and time (filled in, kept by a trigger), in the index the queue reads', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 18));
  db.exec(`INSERT INTO patients (id, patient_id, issuer, name, name_search) VALUES (1, 'SYN000001', '', 'A^B', 'A B');
    INSERT INTO studies (id, patient_ref, study_uid, study_date, study_time, modalities, imported_at) VALUES (1, 1, '1.2.3', '20250102', '0930', 'MG', 'now'), (2, 1, '1.2.4', NULL, NULL, 'MG', 'now');
    INSERT INTO ai_jobs (study_ref, model_id, model_version, model_sha256, status, queued_at) VALUES (1, 'm', '1', 'x', 'queued', 'now'), (2, 'm', '1', 'x', 'queued', 'now');`);
  migrate(db);
  const dates = () => db.prepare('SELECT study_ref, study_date, study_time FROM ai_jobs ORDER BY study_ref').all();
  assert.deepEqual(dates(), [{ study_ref: 1, study_date: '20250102', study_time: '0930' }, { study_ref: 2, study_date: null, study_time: null }]);
  db.exec(`UPDATE studies SET study_date = '20240101' WHERE id = 2`);
  assert.deepEqual(dates()[1], { study_ref: 2, study_date: '20240101', study_time: null });
  const indexes = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ai_jobs'`).all() as { name: string }[]).map((r) => r.name);
  assert.ok(indexes.includes('ai_jobs_recent_first') && !indexes.includes('ai_jobs_next'), indexes.join(', '));
  // AiTables.claimNext's read, with two models: walked in the index's order, not sorted (a temporary B-tree of every queued job)
  const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT j.* FROM ai_jobs j JOIN studies s ON s.id = j.study_ref
      WHERE j.status = 'queued' AND s.pending_job IS NULL AND ((model_id = ? AND model_version = ?) OR (model_id = ? AND model_version = ?))
      ORDER BY j.priority DESC, j.study_date DESC, j.study_time DESC, j.study_ref DESC, j.id LIMIT 1`).all('m', '1', 'n', '1') as { detail: string }[])
    .map((r) => r.detail).join('; ');
  assert.match(plan, /SEARCH j USING INDEX ai_jobs_recent_first \(status=\?\)/);
  assert.doesNotMatch(plan, /TEMP B-TREE/);
});
