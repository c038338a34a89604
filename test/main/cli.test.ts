import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, SHARED_DICOM, SKIP_NO_SHARED, tempDir } from '../helpers/paths.ts';
import { makeMammoFile, writeScreeningExams } from '../helpers/mammo-files.ts';
import { writePart10 } from '../../main/dicom/write.ts';
import { writeTinyModel } from '../helpers/onnx-models.ts';
import { cliLocale } from '../../main/cli-text.ts';
import Database from 'better-sqlite3';
import { DEFAULT_DEMO_OPTIONS, planPatient } from '../../main/synth/plan.ts';
import { examFolder } from '../../main/synth/produce.ts';

const BIN = path.join(ROOT, 'bin', 'binome.js');
/** The command line in a terminal whose language is English (whatever this machine's), or `LANG`'s. */
const runIn = (lang: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT,
    env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '', LANG: lang, BINOME_LIBRARY: path.join(tempDir('cli-default'), 'lib') } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const run = (...args: string[]) => runIn('C.UTF-8', ...args);

test('help and usage errors', () => {
  const help = run('--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /binome <command>/);
  for (const cmd of ['import', 'list', 'serve', 'demo', 'models']) {
    const h = run(cmd, '--help');
    assert.equal(h.code, 0, cmd);
    assert.match(h.out, new RegExp(`Usage: binome ${cmd}`));
    assert.match(h.out, /--library/);
  }
  assert.equal(run().code, 2);
  const unknown = run('frobnicate');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "frobnicate"/);
  const noPath = run('import');
  assert.equal(noPath.code, 2);
  assert.match(noPath.err, /needs at least one path/);
  const badOption = run('list', '--bogus');
  assert.equal(badOption.code, 2);
  assert.match(badOption.err, /Run "binome list --help"/);
  const badLimit = run('list', '--limit', 'many');
  assert.equal(badLimit.code, 2);
  assert.match(badLimit.err, /limit/);
});

test('list writes no control or direction characters a file\'s patient name or ID carries to the terminal (an ESC sequence coloured it, U+202E wrote the line backwards): shown escaped', () => {
  const library = tempDir('cli-list-printable');
  const source = tempDir('cli-list-printable-src');
  // in UTF-8 (ISO_IR 192), where U+202E is a character of the name (a dose report: listed with --all)
  fs.writeFileSync(path.join(source, 'odd.dcm'), writePart10({
    SpecificCharacterSet: 'ISO_IR 192', SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.67', SOPInstanceUID: '1.2.826.0.1.3680043.77.52.9.1', StudyInstanceUID: '1.2.826.0.1.3680043.77.52.9',
    SeriesInstanceUID: '1.2.826.0.1.3680043.77.52.9.2', Modality: 'SR', PatientID: 'P\u202eX\u0007', PatientName: '\u202eEVIL^NAME\u001b[31mRED', PatientBirthDate: '19600101', StudyDate: '20250301',
  }));
  assert.equal(run('import', source, '--library', library).code, 0);
  const list = run('list', '--all', '--library', library);
  assert.equal(list.code, 0, list.err);
  assert.doesNotMatch(list.out, /[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e]/u, JSON.stringify(list.out));
  assert.match(list.out, /\\u202eEVIL NAME\\x1b\[31mRED/);
  assert.match(list.out, /P\\u202eX\\x07/);
});

test('import, then list, in a given library; exit code 3 when damaged files were quarantined, not for skipped ones', () => {
  const library = tempDir('cli-lib');
  const source = tempDir('cli-src');
  writeScreeningExams(source, 3);
  const first = run('import', source, '--library', library);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /Imported 12 images for reading\.\n {2}into 3 exam\(s\)/);
  assert.doesNotMatch(first.out.slice(first.out.indexOf('Imported')), /skipped|quarantine/, 'nothing was skipped or refused: nothing said of it');
  fs.writeFileSync(path.join(source, 'junk.txt'), 'junk');
  const notes = run('import', source, '--library', library);
  assert.equal(notes.code, 0, 'a note beside the images is no failure');
  assert.match(notes.out, /Nothing new was imported\./);
  assert.match(notes.out, /12 files already in the library \(same SOP Instance UID\) were skipped\./);
  assert.match(notes.out, /1 file that is not DICOM was skipped\./);
  assert.doesNotMatch(notes.out, /quarantine/);
  assert.doesNotMatch(notes.out, /rejected:/);
  const cut = fs.readFileSync(path.join(source, 'exam-00000', 'RCC.dcm'));
  fs.mkdirSync(path.join(source, 'more'));
  fs.writeFileSync(path.join(source, 'more', 'cut.dcm'), cut.subarray(0, cut.length - 10)); // cut short
  const second = run('import', path.join(source, 'more'), '--library', library);
  assert.equal(second.code, 3);
  assert.match(second.out, /1 file was not imported: it is in the quarantine list, with the reason\./);
  assert.match(second.out, /rejected: .*cut\.dcm: /);
  const list = run('list', '--library', library);
  assert.equal(list.code, 0);
  assert.equal(list.out.split('\n').filter((l) => /TEST PATIENT/.test(l)).length, 3);
  assert.match(list.out, /RCC LCC RMLO LMLO/);
  const json = JSON.parse(run('list', '--library', library, '--json', '--search', 'P000001').out) as { total: number };
  assert.equal(json.total, 1);
  assert.ok(fs.existsSync(path.join(library, 'worklist.sqlite')));
});

test('demo: checks its arguments, writes exams with ground truth, imports them into a library', () => {
  for (const [args, message] of [
    [['demo', '--patients', '2'], /needs --out <dir>, --library <dir>, or both/],
    [['demo', '--patients', 'x', '--out', '/tmp/x'], /--patients must be a whole number/],
    [['demo', '--size', 'huge', '--out', '/tmp/x'], /--size must be full or reduced/],
    [['demo', '--transfer-syntax', 'rle', '--out', '/tmp/x'], /--transfer-syntax must be one of explicit, jpeg-ls, htj2k, j2k/],
    [['demo', '--seed', 'a b', '--out', '/tmp/x'], /--seed may hold/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
  }
  const out = tempDir('cli-demo');
  const written = run('demo', '--patients', '1', '--priors', '1', '--plain', '--seed', 'cli', '--out', out);
  assert.equal(written.code, 0, written.err);
  assert.match(written.out, /Generated 8 image\(s\) in 2 exam\(s\) of 1 synthetic women/);
  assert.ok(fs.existsSync(path.join(out, 'demo.json')));
  const library = tempDir('cli-demo-lib');
  const imported = run('demo', '--patients', '1', '--seed', 'cli', '--library', library);
  assert.equal(imported.code, 0, imported.err);
  assert.match(imported.out, /Imported 8 images for reading\.\n {2}into 2 exam\(s\)/);
  // reduced exams in a library: told that the shipped AI model will not analyse them
  assert.match(imported.out, /Reduced size: the shipped AI model does not analyse these exams/);
  const files = fs.readdirSync(path.join(library, 'demo', 'cli'), { recursive: true }).map(String);
  assert.ok(files.some((f) => f.endsWith('ground-truth.json')));
  assert.ok(!files.some((f) => f.endsWith('.dcm')), 'the images live in the store, not twice');
  assert.match(run('list', '--library', library).out, /SYN[0-9A-Z]{7}00001/);
  // her earlier exam was read in its time: not new in the reading list (a prior ranked among today's exams)
  const rows = (JSON.parse(run('list', '--library', library, '--json').out) as { rows: { studyDate: string; status: string }[] }).rows;
  assert.deepEqual(rows.map((r) => r.status), ['new', 'read'], JSON.stringify(rows));
  assert.ok(rows[0]!.studyDate > rows[1]!.studyDate, 'the current exam new, the prior read');
});

test('demo on a full disk: said in the terminal\'s language, not as the system\'s "ENOSPC", and what it made of the unfinished exams removed (60 MB of half-made images stayed: a vendor\'s probe)', { skip: fs.existsSync('/dev/full') ? false : 'no /dev/full on this system (a file whose writes fail as a full disk\'s)' }, () => {
  for (const [lang, said] of [['C.UTF-8', /binome: the disk holding .* is full: the demo exams could not all be made, and what was made of those unfinished was removed; free some space and start again/],
    ['fr_FR.UTF-8', /binome: le disque qui porte .* est plein\u202f: les examens de démonstration n’ont pas tous pu être faits/]] as const) {
    const out = tempDir('cli-demo-full');
    fs.writeFileSync(path.join(out, 'kept.txt'), 'the folder\'s own file');
    // the prior's last image written to /dev/full: its write fails as on a full disk, after others were written
    const patient = planPatient({ ...DEFAULT_DEMO_OPTIONS, variants: false, patients: 1, priors: 1, seed: 'cli-full' }, 0);
    const prior = patient.exams[1]!;
    const blocked = path.join(out, examFolder(patient, prior), `${prior.images.at(-1)!.key}.dcm`);
    fs.mkdirSync(path.dirname(blocked), { recursive: true });
    fs.symlinkSync('/dev/full', blocked);
    const r = runIn(lang, 'demo', '--patients', '1', '--priors', '1', '--plain', '--seed', 'cli-full', '--out', out);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, said);
    assert.doesNotMatch(r.err, /ENOSPC/);
    const left = fs.readdirSync(out, { recursive: true }).map(String);
    assert.deepEqual(left, ['kept.txt'], 'no image, no ground truth, no empty folder left; the folder\'s own file kept');
  }
});

test('import --read marks the exams it brings in whole as read (earlier exams, to compare with), audited; an exam with images before it stays as it was', () => {
  const library = tempDir('cli-read-lib');
  const file = (dir: string, studyUid: string, studyDate: string, view: 'CC' | 'MLO', laterality: 'R' | 'L', instanceNumber: number) => {
    const f = path.join(dir, `${studyDate}-${view}-${laterality}.dcm`);
    fs.writeFileSync(f, makeMammoFile({ patientId: 'READ01', patientName: 'READ^ANNE', studyUid, studyDate, laterality, view, instanceNumber }));
    return f;
  };
  // today's exam, to read: two of its images come from the modality
  const today = tempDir('cli-read-today');
  file(today, '1.2.826.0.1.3680043.9.7777.1', '20261201', 'CC', 'R', 1);
  file(today, '1.2.826.0.1.3680043.9.7777.1', '20261201', 'CC', 'L', 2);
  assert.equal(run('import', today, '--library', library, '--quiet').code, 0);
  // her history from a CD: two earlier exams, and (by mistake) another image of today's exam
  const cd = tempDir('cli-read-cd');
  file(cd, '1.2.826.0.1.3680043.9.7777.2', '20241130', 'CC', 'R', 1);
  file(cd, '1.2.826.0.1.3680043.9.7777.2', '20241130', 'MLO', 'R', 2);
  file(cd, '1.2.826.0.1.3680043.9.7777.3', '20221128', 'CC', 'L', 1);
  file(cd, '1.2.826.0.1.3680043.9.7777.1', '20261201', 'MLO', 'R', 3);
  const imported = run('import', cd, '--read', '--library', library, '--quiet');
  assert.equal(imported.code, 0, imported.err);
  assert.match(imported.out, /^ {2}2 exams marked read \(--read\)$/m);
  const rows = (JSON.parse(run('list', '--library', library, '--json').out) as { rows: { examId: number; studyDate: string; status: string }[] }).rows;
  assert.deepEqual(rows.map((r) => [r.studyDate, r.status]), [['20261201', 'new'], ['20241130', 'read'], ['20221128', 'read']]);
  const db = new Database(path.join(library, 'worklist.sqlite'), { readonly: true });
  try {
    const audited = db.prepare("SELECT s.study_date AS date FROM audit_log a JOIN studies s ON s.id = a.study_ref WHERE a.actor = 'import-read' AND a.action = 'status:read' ORDER BY s.study_date").all() as { date: string }[];
    assert.deepEqual(audited.map((a) => a.date), ['20221128', '20241130']);
  } finally {
    db.close();
  }
  // in French too
  const again = tempDir('cli-read-again');
  file(again, '1.2.826.0.1.3680043.9.7777.4', '20201125', 'CC', 'R', 1);
  assert.match(runIn('fr_FR.UTF-8', 'import', again, '--read', '--library', library, '--quiet').out, /^ {2}1 examen marqué lu \(--read\)$/m);
});

test('the default library is created on first use', () => {
  const home = tempDir('cli-home');
  const r = spawnSync(process.execPath, [BIN, 'list'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8', BINOME_LIBRARY: '', XDG_CONFIG_HOME: home, HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /The worklist is empty/);
  assert.ok(fs.existsSync(path.join(home, 'Binome', 'library', 'worklist.sqlite')));
});

test('a library folder named with --library that does not exist is said so to the commands that read one, not made empty there (a mistyped path read "0 analysed")', () => {
  const typo = path.join(tempDir('cli-typo'), 'libary');
  for (const command of ['list', 'models', 'check']) {
    const r = run(command, '--library', typo);
    assert.equal(r.code, 2, `${command}: ${r.err}`);
    assert.match(r.err, new RegExp(`no library at ${typo.replace(/[/.]/g, '\\$&')} \\(binome import or binome serve makes a library where it is told\\)`), command);
  }
  assert.equal(fs.existsSync(typo), false, 'nothing made there');
  // a folder that exists and holds no library (a parent folder, a re-probe), or a file: the same
  const parent = path.dirname(typo);
  const file = path.join(parent, 'a-file');
  fs.writeFileSync(file, 'x');
  for (const folder of [parent, file]) assert.equal(run('models', '--library', folder).code, 2, folder);
  assert.deepEqual(fs.readdirSync(parent), ['a-file'], 'nothing made in the parent');
  assert.match(runIn('fr_FR.UTF-8', 'list', '--library', typo).err, /aucune bibliothèque dans .* \(binome import ou binome serve crée une bibliothèque/);
  // import makes one where it is told to
  assert.notEqual(run('import', '/nonexistent/folder', '--library', typo).code, 2);
  assert.ok(fs.existsSync(path.join(typo, 'worklist.sqlite')));
});

test('an import finished with files a DICOMDIR lists missing from its media exits 3, as the README says', { skip: SKIP_NO_SHARED }, () => {
  // exit 3 is not only "quarantined damaged files": missing and not-a-file entries are counted in it too
  const r = run('import', path.join(SHARED_DICOM, 'fo-dicom', 'dicomdir-nema-rle', 'DICOMDIR'), '--library', tempDir('cli-dicomdir-missing'));
  assert.equal(r.code, 3, r.out);
  assert.match(r.out, /files listed in the DICOMDIR are missing from the media/);
  assert.doesNotMatch(r.out, /rejected:/, 'nothing quarantined');
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  assert.match(readme, /3 an import finished but did not bring in every file it was given .*listed in a DICOMDIR but missing from its media, or not files to read/);
});

test('a missing path fails the import cleanly', () => {
  const r = run('import', '/nonexistent/folder', '--library', tempDir('cli-missing'));
  assert.equal(r.code, 3);
  assert.match(r.out, /rejected: \/nonexistent\/folder: no such file or folder/);
});

test('serve prints a loopback URL with the token and stops on SIGTERM', { skip: fs.existsSync(path.join(ROOT, 'app/dist/renderer/index.html')) ? false : 'renderer not built' }, async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--library', tempDir('cli-serve')], { cwd: ROOT });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => { out += c; const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/); if (m) resolve(m[1]!); });
    child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 303);
  const bare = await fetch(url.replace(/\?token=.*/, 'api/op/appInfo'), { method: 'POST' });
  assert.equal(bare.status, 401);
  const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); });
  assert.equal(code, 0);
  assert.match(out, /Stopped/);
});

test('serve whose loopback host cannot start (its port taken) ends with an error before the station opens: not left analysing the library deaf to Ctrl+C, nor changing what a running station on the library shows (an IT person\'s probe)', { timeout: 60_000 }, async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  const library = tempDir('cli-serve-taken');
  const child = spawn(process.execPath, [BIN, 'serve', '--no-dicom', '--port', String(port), '--library', library], { cwd: ROOT, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c; });
  child.stderr.on('data', (c: Buffer) => { out += c; });
  try {
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(-1), 30_000);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.notEqual(code, -1, `still running 30 s after its host failed: ${out}`);
    assert.notEqual(code, 0, out);
    assert.match(out, new RegExp(`binome: port ${port} is taken \\(another Binome, or another program\\)`), 'said as such, not as listen EADDRINUSE');
    // the station never opened: its AI wrote nothing (the model exams show, a queue) to the library
    assert.deepEqual(fs.readdirSync(library), []);
  } finally {
    child.kill('SIGKILL');
    taken.close();
  }
});

test('file names are printed without their control characters; a named pipe imports nothing and says so with exit code 3', { skip: process.platform === 'win32' ? 'no FIFOs or such file names on Windows' : false }, () => {
  const library = tempDir('cli-names-lib');
  const source = tempDir('cli-names');
  // a damaged file whose name would recolour and retitle the terminal, and forge a line
  fs.writeFileSync(path.join(source, 'cut\u001b[31mRED\u001b]0;pwned\u0007\nrejected: fake.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([2, 0, 0x10, 0])]));
  const damaged = run('import', source, '--library', library);
  assert.equal(damaged.code, 3);
  assert.doesNotMatch(damaged.out, /\u001b|\u0007/);
  assert.match(damaged.out, /rejected: .*cut\\x1b\[31mRED\\x1b\]0;pwned\\x07\\x0arejected: fake\.dcm: /);
  assert.equal(damaged.out.split('\n').filter((l) => l.includes('rejected:')).length, 1, 'one rejected line, not two');

  const fifo = path.join(tempDir('cli-fifo'), 'pipe.dcm');
  spawnSync('mkfifo', [fifo]);
  const piped = run('import', fifo, '--library', library);
  assert.equal(piped.code, 3, piped.out);
  assert.match(piped.out, /Nothing new was imported\.\n1 entry was not opened \(not a file to read here\)\./);
  assert.doesNotMatch(piped.out, /into \d+ exam/);
});

test('models: lists the models that run and the refused folders with their reason (exit 1), and chooses the one exams show', { timeout: 120_000 }, () => {
  const library = tempDir('cli-models');
  const models = path.join(library, 'models');
  writeTinyModel(models, (m) => { m.id = 'org.clinic.tests.cli'; m.name = 'Clinic fixture'; });
  const damaged = tempDir('cli-models-damaged');
  writeTinyModel(damaged, (m) => { m.id = 'com.vendor.tests.cli'; m.sha256 = '0'.repeat(64); });
  fs.renameSync(path.join(damaged, 'tiny'), path.join(models, 'vendor-model'));
  // a folder whose name would drive the terminal (colour, a forged line of its own)
  fs.mkdirSync(path.join(models, 'evil\x1b[31m\n  shown  forged'));
  const listed = run('models', '--library', library);
  assert.equal(listed.code, 1, 'a refused folder is a failure of the check');
  assert.doesNotMatch(listed.out, /\x1b/);
  assert.match(listed.out, /refused evil\\x1b\[31m\\x0a {2}shown {2}forged \(in this library\): the folder has no manifest\.json/);
  assert.match(listed.out, /^ {2}shown {2}org\.clinic\.tests\.cli 0\.1\.0 "Clinic fixture", in this library \(tiny\), on CPU: 0 analysed/m);
  assert.match(listed.out, /^ {9}org\.binome\.synth-detector \d+\.\d+\.\d+ .*in the application .*not for diagnostic use: trained on synthetic images$/m);
  assert.match(listed.out, /refused vendor-model \(in this library\): model\.onnx is not the file its manifest describes/);
  assert.match(listed.out, /Exams show the last model found \(automatic/);
  assert.equal(listed.err, '', 'the refusals are not repeated as warnings');
  fs.rmSync(path.join(models, 'vendor-model'), { recursive: true });
  fs.rmSync(path.join(models, 'evil\x1b[31m\n  shown  forged'), { recursive: true });
  const chosen = run('models', '--library', library, '--show', 'org.binome.synth-detector');
  assert.equal(chosen.code, 0, chosen.out + chosen.err);
  assert.match(chosen.out, /^ {2}shown {2}org\.binome\.synth-detector /m);
  assert.match(chosen.out, /Exams show the chosen model\./);
  // which a station running now shows only if it runs it (a model put in a folder since it started: a vendor's probe)
  assert.match(chosen.out, /^A station running now shows the chosen model if it runs it: one started before the model was put in its folder shows it from its next start\.$/m);
  const unknown = run('models', '--library', library, '--show', 'org.nowhere');
  assert.equal(unknown.code, 1);
  assert.match(unknown.out, /No model “org\.nowhere” runs at this station\./);
  const json = JSON.parse(run('models', '--library', library, '--json').out) as { chosen: string; models: { id: string; shown: boolean }[] };
  assert.equal(json.chosen, 'org.binome.synth-detector', 'the choice is kept in the library');
  assert.deepEqual(json.models.filter((m) => m.shown).map((m) => m.id), ['org.binome.synth-detector']);
  const auto = run('models', '--library', library, '--show', 'auto');
  assert.equal(auto.code, 0);
  // a station running now keeps what it shows: said, since this command cannot see it (a probe read "shown" here beside a station showing another)
  assert.match(auto.out, /^A station running now keeps the model it has shown since its start, until it starts again\.$/m);
  assert.equal((JSON.parse(run('models', '--library', library, '--json').out) as { chosen: string | null }).chosen, null);
  // the library shows another than the last found (a station running since before a model was put in a folder
  // shows the one it had): that one is marked shown, and said so, not "the last found" (a vendor's probe)
  const settings = new Database(path.join(library, 'worklist.sqlite'));
  settings.prepare(`INSERT INTO settings (key, value) VALUES ('ai.shownModel', 'org.binome.synth-detector') ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run();
  settings.close();
  const kept = run('models', '--library', library);
  assert.match(kept.out, /^ {2}shown {2}org\.binome\.synth-detector /m);
  assert.match(kept.out, /^Exams show org\.binome\.synth-detector, the model the library shows now \(automatic: org\.clinic\.tests\.cli, found last, is shown from a station's next start; /m);
  // the application's model taken by an older version of it in the library: said as older (a vendor's probe read only "has the same model id")
  const copy = tempDir('cli-models-older');
  writeTinyModel(copy, (m) => { m.id = 'org.binome.synth-detector'; m.name = 'Binome synthetic-exam detector'; m.version = '0.0.1'; });
  fs.renameSync(path.join(copy, 'tiny'), path.join(models, 'older-copy'));
  const older = run('models', '--library', library);
  assert.match(older.out, /not used org\.binome\.synth-detector \d+\.\d+\.\d+ \(binome-synth-detector, in the application\): this library's folder "older-copy" \(version 0\.0\.1\) has the same model id, and is an OLDER version \(0\.0\.1\): remove it/);
  // the library's models folder a file (a careless copy): said, as the library's, not passed over in silence (a vendor's probe)
  fs.rmSync(models, { recursive: true });
  fs.writeFileSync(models, 'not a folder');
  const notAFolder = run('models', '--library', library);
  assert.equal(notAFolder.code, 1);
  assert.match(notAFolder.out, /refused models \(in this library\): the models folder cannot be read: it is a file, not a folder; no model there runs/);
  // a memory setting the station cannot take: said here too, though this command logs errors only (it went unremarked, a probe)
  process.env.BINOME_AI_MODEL_MEMORY_MB = '0x100';
  try {
    assert.match(run('models', '--library', library).err, /^binome: BINOME_AI_MODEL_MEMORY_MB is not a number of megabytes from 512 \("0x100"\): a model's check may use \d+ MB, the default$/m);
    assert.match(runIn('fr_FR.UTF-8', 'models', '--library', library).err, /BINOME_AI_MODEL_MEMORY_MB n’est pas un nombre de mégaoctets à partir de 512 \("0x100"\)\u202f: la vérification d’un modèle peut prendre \d+\u202fMo/);
  } finally {
    delete process.env.BINOME_AI_MODEL_MEMORY_MB;
  }
});

test('BINOME_LOG_LEVEL: a level in any case is taken; a value that names none (silent, off, a typo) is said once and the default used (every line, debug too, was written: a probe)', () => {
  const library = tempDir('cli-log-level');
  const empty = tempDir('cli-log-level-empty');
  // an import of nothing: it logs its job at info
  const withLevel = (level: string) => spawnSync(process.execPath, [BIN, 'import', empty, '--library', library], { encoding: 'utf8', cwd: ROOT,
    env: { ...process.env, LC_ALL: 'C.UTF-8', BINOME_LOG_LEVEL: level, BINOME_LIBRARY: '' } });
  for (const level of ['silent', 'off', 'verbose']) {
    const r = withLevel(level);
    const said = r.stderr.split('\n').filter((l) => l.includes('BINOME_LOG_LEVEL'));
    assert.equal(said.length, 1, r.stderr);
    assert.match(said[0]!, new RegExp(`WARN BINOME_LOG_LEVEL "${level}" is none of debug, info, warn, error: the default is used$`));
    assert.doesNotMatch(r.stderr, / (DEBUG|INFO) /, 'the command line\'s default (warnings) kept');
  }
  const info = withLevel('Info');
  assert.doesNotMatch(info.stderr, /BINOME_LOG_LEVEL/);
  assert.match(info.stderr, / INFO import job \d+ done/, 'any case taken');
});

test('the terminal\'s language: LC_ALL, LC_MESSAGES, LANG in that order; LANGUAGE\'s first known entry over them, except under the C locale', () => {
  assert.equal(cliLocale({ LANG: 'fr_FR.UTF-8' }), 'fr');
  assert.equal(cliLocale({ LC_ALL: 'en_GB.UTF-8', LANG: 'fr_FR.UTF-8' }), 'en');
  assert.equal(cliLocale({ LC_MESSAGES: 'fr_BE.UTF-8', LANG: 'en_US.UTF-8' }), 'fr');
  // a French desktop whose LANG is English but LANGUAGE lists French first (GNOME's language setting does so)
  assert.equal(cliLocale({ LANGUAGE: 'fr_FR:en', LANG: 'en_US.UTF-8' }), 'fr');
  assert.equal(cliLocale({ LANGUAGE: 'de:fr', LANG: 'en_US.UTF-8' }), 'fr', 'a language it does not speak is passed over');
  assert.equal(cliLocale({ LANGUAGE: 'en', LANG: 'fr_FR.UTF-8' }), 'en');
  assert.equal(cliLocale({ LANGUAGE: 'de', LANG: 'fr_FR.UTF-8' }), 'fr', 'none known: the locale\'s');
  assert.equal(cliLocale({ LANGUAGE: 'fr', LC_ALL: 'C' }), 'en', 'LC_ALL=C asks for the untranslated texts');
  assert.equal(cliLocale({ LANGUAGE: 'fr', LANG: 'C.UTF-8' }), 'en');
  assert.equal(cliLocale({ LANGUAGE: 'fr', LANG: 'POSIX' }), 'en');
  assert.equal(cliLocale({ LANG: 'de_DE.UTF-8' }), 'en');
  if (process.platform !== 'win32') assert.equal(cliLocale({ LANGUAGE: 'fr' }), 'en', 'no locale set: the C locale, LANGUAGE ignored (env -i LANGUAGE=fr, a re-probe)');
});

test('in a French terminal (LANG=fr_FR.UTF-8) the command line speaks French: help, usage errors, the import\'s report, the models\' refusals', { timeout: 120_000 }, () => {
  const fr = (...args: string[]) => runIn('fr_FR.UTF-8', ...args);
  assert.match(fr('--help').out, /station de lecture de mammographies hors ligne/);
  assert.match(fr('import', '--help').out, /^Usage\u202f: binome import <chemin>/);
  const unknown = fr('frobnicate');
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, 'binome: commande inconnue «\u202ffrobnicate\u202f»\n«\u202fbinome --help\u202f» en donne l’usage.\n');
  assert.match(fr('demo', '--patients', 'many', '--out', tempDir('cli-fr-demo')).err, /--patients doit être un nombre entier de 1 à 10000/);
  // what the API's schema would refuse in English is said before it, in French, as wrong usage
  assert.deepEqual([fr('list', '--status', 'bogus').code, fr('list', '--status', 'bogus').err.split('\n')[0]], [2, 'binome: --status vaut new, in_progress ou read (à répéter pour plusieurs)']);
  const longId = fr('models', '--show', 'x'.repeat(5000), '--library', tempDir('cli-fr-show'));
  assert.equal(longId.code, 2);
  assert.match(longId.err, /^binome: --show doit être l’identifiant d’un modèle .*pas «\u202fx{40}…\u202f»\n/);
  // node's argument parser's own errors too (it said "Unknown option '--bogus'" in English, and a \x0a)
  assert.equal(fr('list', '--bogus').err.split('\n')[0], 'binome: option inconnue --bogus');
  assert.equal(fr('list', '--limit').err.split('\n')[0], 'binome: --limit demande une valeur (--limit VALEUR)');
  // an exam that is not there: said so, not "0 files checked: all sound"
  const checked = tempDir('cli-fr-check');
  fr('import', '/nonexistent/folder', '--library', checked); // (a library made there, empty)
  const missing = fr('check', '--exam', '99999', '--library', checked);
  assert.deepEqual([missing.code, missing.out], [1, 'binome: aucun examen 99999 dans cette bibliothèque (binome list montre les examens et leurs ID)\n']);
  // LC_ALL wins over LANG, as POSIX orders them
  assert.match(spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8', LANGUAGE: '', LANG: 'fr_FR.UTF-8' } }).stderr, /unknown command/);

  const library = tempDir('cli-fr-lib');
  const source = tempDir('cli-fr-src');
  writeScreeningExams(source, 1);
  fs.writeFileSync(path.join(source, 'cut.dcm'), fs.readFileSync((fs.readdirSync(source, { recursive: true }) as string[]).map((f) => path.join(source, f)).find((f) => f.endsWith('.dcm'))!).subarray(0, 300));
  const imported = fr('import', source, '--library', library);
  assert.equal(imported.code, 3, imported.err);
  assert.match(imported.out, /^ {2}dans 1 examen en \d+,\d\d\u202fs \(\d+ fichiers?\/s, [\d,]+ [KM]io\)$/m);
  assert.match(imported.out, /^ {2}refusé\u202f: .*cut\.dcm\u202f: /m);
  assert.doesNotMatch(imported.out, /\b(into|rejected|exam\(s\))\b/, 'no English left in it');
  const listed = fr('list', '--library', library);
  assert.match(listed.out, /^ID {5}Patiente .*Statut$/m);
  assert.match(listed.out, /RCC LCC RMLO LMLO +4 +nouveau$/m);

  const models = path.join(library, 'models');
  writeTinyModel(models, (m) => { m.id = 'com.vendor.tests.cli'; m.sha256 = '0'.repeat(64); });
  const refused = fr('models', '--library', library);
  assert.equal(refused.code, 1);
  assert.match(refused.out, /^ {2}refusé tiny \(dans cette bibliothèque\)\u202f: model\.onnx n’est pas le fichier que décrit son manifeste/m);
  assert.match(refused.out, /^ {2}affiché org\.binome\.synth-detector .* dans l’application .*\u202f: 0 analysé, 0 en attente, 0 en échec — IA entraînée sur des images de synthèse — pas pour le diagnostic$/m);
});

/** `binome import` of `source` in a terminal of language `lang`, sent `signal` once it has stored some files (the library's instances, read as it goes). */
async function importStoppedBy(signal: NodeJS.Signals, lang: string, source: string, library: string): Promise<{ code: number | null; out: string; storedBefore: number }> {
  const child = spawn(process.execPath, [BIN, 'import', source, '--library', library], { cwd: ROOT,
    env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '', LANG: lang, BINOME_LIBRARY: '' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c; });
  child.stderr.on('data', (c: Buffer) => { out += c; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  let storedBefore = 0;
  const database = path.join(library, 'worklist.sqlite');
  try {
    for (let i = 0; i < 1200 && child.exitCode === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (!fs.existsSync(database)) continue;
      try {
        const db = new Database(database, { readonly: true, fileMustExist: true });
        try { storedBefore = (db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n; } finally { db.close(); }
      } catch { continue; /* its schema not made yet */ }
      if (storedBefore > 0) break;
    }
    assert.ok(storedBefore > 0 && child.exitCode === null, `the import ended, or stored nothing in 60 s, before it could be stopped: ${out}`);
    child.kill(signal);
    return { code: await exited, out, storedBefore };
  } finally {
    child.kill('SIGKILL');
  }
}

test('an import stopped by SIGTERM or Ctrl+C says so in the terminal\'s language, what it kept and the command that completes it, and exits 143 or 130; that command completes it, nothing lost', { timeout: 180_000 }, async () => {
  const EXAMS = 250;
  const source = tempDir('cli-halt-src');
  writeScreeningExams(source, EXAMS, { rows: 128, columns: 96 });
  const count = (library: string) => {
    const db = new Database(path.join(library, 'worklist.sqlite'), { readonly: true });
    try { return (db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n; } finally { db.close(); }
  };

  const frLibrary = tempDir('cli-halt-fr');
  const fr = await importStoppedBy('SIGTERM', 'fr_FR.UTF-8', source, frLibrary);
  assert.equal(fr.code, 143, fr.out);
  const kept = count(frLibrary);
  assert.ok(kept >= fr.storedBefore && kept < EXAMS * 4, `${kept} stored`);
  assert.match(fr.out, new RegExp(`L’import a été arrêté \\(SIGTERM\\)\u202f: les ${kept} fichiers qu’il a enregistrés sont gardés dans la bibliothèque, rien n’est perdu\\.`));
  const held = /ne s’est pas terminé et retient (\d+) examens?\u202f; terminez-le avec\u202f: (binome import .*)$/m.exec(fr.out);
  assert.ok(held, fr.out);
  assert.ok(Number(held[1]) > 0, fr.out);
  assert.equal(held[2], `binome import ${JSON.stringify(source)} --library ${JSON.stringify(frLibrary)}`);
  assert.doesNotMatch(fr.out, /The import was|was stopped|complete it with|it stored/, 'no English in the French terminal');
  // the same words as `binome list`'s
  const listed = runIn('fr_FR.UTF-8', 'list', '--library', frLibrary);
  assert.match(listed.out, new RegExp(`retient ${held[1]} examens .*terminez-le avec\u202f: ${held[2].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
  // the command it gave completes the import: every file in the library, none lost, none twice
  const completed = runIn('fr_FR.UTF-8', ...held[2].replace(/"/g, '').split(' ').slice(1));
  assert.equal(completed.code, 0, completed.out + completed.err);
  assert.equal(count(frLibrary), EXAMS * 4);
  assert.doesNotMatch(runIn('fr_FR.UTF-8', 'list', '--library', frLibrary).out, /ne s’est pas terminé/);

  const enLibrary = tempDir('cli-halt-en');
  const en = await importStoppedBy('SIGINT', 'en_US.UTF-8', source, enLibrary);
  assert.equal(en.code, 130, en.out);
  assert.match(en.out, new RegExp(`The import was stopped \\(SIGINT\\): the ${count(enLibrary)} files it stored are kept in the library, nothing is lost\\.`));
  assert.match(en.out, /did not finish and holds \d+ exam\(s\) back; complete it with: binome import ".*" --library ".*"$/m);
  assert.doesNotMatch(en.out, /Imported \d+ images for reading/, 'not said to be for reading: they are held back');
});
