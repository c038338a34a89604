// A library disk that fills up mid-import: a clear error, nothing lost, and a re-run completes
// once there is room. Needs root to mount a small tmpfs; skips elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseOperationInput } from '../../common/api.ts';
import { describeImportSummary } from '../../common/import-summary.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';
import { openTestStation } from '../helpers/station.ts';

function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = tempDir('mount-probe');
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  return ok;
}
const SKIP = canMount() ? false : 'mounting a small tmpfs needs root on Linux';

test('a full library disk fails the import with a clear reason, keeps what was there, and a re-run completes', { skip: SKIP }, async () => {
  const source = tempDir('full-src');
  const exams = writeScreeningExams(source, 12, { rows: 256, columns: 200 }); // about 100 KB a file, 4.9 MB in all
  const library = tempDir('full-lib');
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2500k', 'tmpfs', library]).status, 0);
  try {
    let station = openTestStation({ libraryDir: library, batchSize: 4 });
    const first = await station.handlers.importPaths({ paths: [exams[0]!.files[0]!.replace(/[^/]+$/, '')] });
    assert.equal(first.status, 'done'); // one exam fits
    const full = await station.handlers.importPaths({ paths: [source] });
    assert.equal(full.status, 'failed');
    // the library's disk, not a file: said as what stopped the import, never as a file named "(library)"
    // among those refused (« refusé : (library) : plus d’espace… » under a headline of 0 refused, a probe)
    assert.deepEqual(full.stoppedBy, { code: 'disk_full' });
    assert.deepEqual(full.problems.filter((p) => p.code === 'disk_full' || p.file === '(library)'), []);
    for (const [locale, ending] of [['en', 'The import stopped, for the library, not for a file: no space left on the library disk. What it stored is held back until the import is completed.'],
      ['fr', 'Import interrompu, du fait de la bibliothèque et non d’un fichier\u202f: plus d’espace sur le disque de la bibliothèque. Ce qu’il a enregistré reste en attente jusqu’à ce que l’import soit terminé.']] as const) {
      const said = describeImportSummary(locale, full);
      assert.equal(said.ending, ending);
      assert.ok(![said.headline, ...said.details, ...said.examples].some((line) => line.includes('(library)')), JSON.stringify(said));
    }
    // "imported": the files recorded in the library, not those stored whose batch never was (an IT probe's "imported: 4", none in the worklist)
    const recorded = (station.db.connection.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n - 4;
    assert.equal(full.imported, recorded);
    // what was imported before is intact and visible; the half-done import shows nothing
    const page = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}));
    assert.equal(page.total, 1);
    assert.equal(page.rows[0]!.imageCount, 4);
    assert.equal(station.db.connection.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal((await station.handlers.unfinishedImports({})).length <= 1, true);
    await station.close();
    // the command line says it in the same words, in French here, with no file "(library)" among those refused
    const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'binome.js'), 'import', '--quiet', '--library', library, source],
      { encoding: 'utf8', cwd: ROOT, env: { ...process.env, LC_ALL: 'fr_FR.UTF-8', LANGUAGE: '' } });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stdout, /^Import interrompu, du fait de la bibliothèque et non d’un fichier\u202f: plus d’espace sur le disque de la bibliothèque\./m, cli.stdout);
    assert.doesNotMatch(cli.stdout, /\(library\)/);
    // make room, then import again: everything arrives
    assert.equal(spawnSync('mount', ['-o', 'remount,size=64m', library]).status, 0);
    station = openTestStation({ libraryDir: library });
    const again = await station.handlers.importPaths({ paths: [source] });
    assert.equal(again.status, 'done');
    const after = await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { limit: 100 }));
    assert.equal(after.total, 12);
    assert.ok(after.rows.every((r) => r.imageCount === 4));
    const tmp = path.join(library, 'store', 'tmp');
    assert.deepEqual(fs.readdirSync(tmp, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(tmp, f)).isFile()), [], 'no copy left half-written');
    await station.close();
    assert.deepEqual(fs.readdirSync(tmp), []);
  } finally {
    spawnSync('umount', ['-l', library]);
  }
});
