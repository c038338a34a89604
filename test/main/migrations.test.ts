import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, DatabaseTooNewError } from '../../main/db/migrations/index.ts';
import { WorklistDatabase } from '../../main/db/db.ts';
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
  const wl = new WorklistDatabase(path.join(dir, 'w.sqlite'));
  assert.equal(wl.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(wl.db.pragma('foreign_keys', { simple: true }), 1);
  wl.close();
});
