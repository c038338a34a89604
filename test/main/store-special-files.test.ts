// Something other than a regular file at a stored file's address: a FIFO (named pipe), a link to a
// device, a link to another stored file; and a FIFO in place of a display rendition. Opening a FIFO
// for reading blocks until a writer comes: in libuv's four threads, after four such requests every
// other file operation of the process queued behind them (the host stopped answering, the store
// check hung). Each request must now be answered at once (a typed "damaged" error, or no rendition),
// more requests than libuv has threads must not stall the host, the store check (in this process and
// from the command line) must report each such file, and a rendition task must refuse it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startLoopbackHost } from '../../main/transport/http.ts';
import type { LoopbackHost } from '../../main/transport/http.ts';
import type { StationService } from '../../main/service/station.ts';
import type { Importer } from '../../main/import/importer.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';
import { log } from '../../main/base/log.ts';

const RENDERER = path.join(ROOT, 'app', 'dist', 'renderer');
const HAS_MKFIFO = process.platform !== 'win32' && ['/usr/bin/mkfifo', '/bin/mkfifo'].some((p) => fs.existsSync(p));
const SKIP = !HAS_MKFIFO ? 'mkfifo is not available (FIFOs are a POSIX thing)'
  : fs.existsSync(path.join(RENDERER, 'index.html')) ? false : 'the renderer is not built (npm test builds it first)';
/** A request that takes longer than this is taken as hanging (an answer normally takes milliseconds). */
const HANG_MS = 5_000;
const CLI_HANG_MS = 30_000;

let station: StationService;
let host: LoopbackHost;
let libraryDir = '';
let ids: number[] = [];
const fifos: string[] = [];

before(async () => {
  if (SKIP) return;
  log.setLevel('error'); // each refusal is logged as a warning: expected here
  libraryDir = path.join(tempDir('store-special'), 'library');
  station = openTestStation({ libraryDir });
  const dir = tempDir('store-special-files');
  writeScreeningExams(dir, 2);
  await station.handlers.importPaths({ paths: [dir] });
  ids = station.db.worklist.storedFiles(null).map((f) => f.instanceId);
  host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
});
after(async () => {
  // Should a read still be blocked on a FIFO (the bug this file is about), a writer that opens and
  // closes it releases the reader, so that the test process can end.
  for (const fifo of fifos) {
    try { fs.closeSync(fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK)); } catch { /* already gone */ }
  }
  await host?.close();
  await station?.close();
  log.setLevel('warn');
});

const auth = () => ({ 'x-binome-token': host.token });
const fileHash = (id: number) => station.db.worklist.instanceFile(id)!.fileHash;
const storedPath = (id: number) => station.store.pathFor(fileHash(id));

function makeFifo(file: string): void {
  fs.rmSync(file, { force: true });
  execFileSync('mkfifo', [file]);
  fifos.push(file);
}

/** A request with a deadline: its status and JSON error key, or 'no answer'. */
async function ask(url: string, method = 'GET'): Promise<{ status: number; key: string | null } | 'no answer'> {
  try {
    const res = await fetch(url, { method, headers: auth(), signal: AbortSignal.timeout(HANG_MS) });
    if (method === 'HEAD') return { status: res.status, key: null };
    const text = await res.text();
    const key = res.headers.get('content-type')?.startsWith('application/json') ? ((JSON.parse(text) as { error?: { key?: string } }).error?.key ?? null) : null;
    return { status: res.status, key };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return 'no answer';
    throw error;
  }
}

async function imageServes(id: number): Promise<void> {
  const res = await fetch(`${host.url}dicom/${id}`, { headers: auth(), signal: AbortSignal.timeout(HANG_MS) });
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.equal(bytes.length, station.db.worklist.instanceFile(id)!.fileSize);
  assert.equal(new TextDecoder().decode(bytes.subarray(128, 132)), 'DICM');
}

function withDeadline<T>(task: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  return Promise.race([task, deadline]).finally(() => clearTimeout(timer));
}

test('a FIFO, a link to a device and a link to another stored file: answered at once as damaged, and the host keeps serving', { skip: SKIP, timeout: 120_000 }, async () => {
  assert.ok(ids.length >= 8);
  const [fifo, deviceLink, otherLink, withFifoRendition, healthy] = ids as [number, number, number, number, number];
  makeFifo(storedPath(fifo));
  fs.rmSync(storedPath(deviceLink));
  fs.symlinkSync('/dev/zero', storedPath(deviceLink));
  // the same size as the file it replaces would be served, were links followed
  fs.copyFileSync(storedPath(otherLink), path.join(path.dirname(libraryDir), 'moved.dcm'));
  fs.rmSync(storedPath(otherLink));
  fs.symlinkSync(path.join(path.dirname(libraryDir), 'moved.dcm'), storedPath(otherLink));
  // a display rendition recorded for an image, and a FIFO where its file should be
  station.db.imports.setRendition(fileHash(withFifoRendition), 1024);
  const renditionPath = station.store.renditionPathFor(fileHash(withFifoRendition), 1024);
  fs.mkdirSync(path.dirname(renditionPath), { recursive: true });
  makeFifo(renditionPath);

  // more requests for the FIFO at once than libuv has threads (4), each way it can be asked for
  const fifoUrl = `${host.url}dicom/${fifo}`;
  const answers = await Promise.all([
    ...Array.from({ length: 6 }, () => ask(fifoUrl)),
    ask(fifoUrl, 'HEAD'),
    ask(`${fifoUrl}?verify=content`),
  ]);
  for (const answer of answers) assert.notEqual(answer, 'no answer', 'a request for the FIFO hung');
  for (const answer of answers.slice(0, 6)) assert.deepEqual(answer, { status: 500, key: 'error.imageMissing' });
  assert.deepEqual(answers[6], { status: 500, key: null });
  assert.deepEqual(answers[7], { status: 500, key: 'error.imageMissing' });
  for (const id of [deviceLink, otherLink]) assert.deepEqual(await ask(`${host.url}dicom/${id}`), { status: 500, key: 'error.imageMissing' }, `image ${id}`);
  // no rendition to serve: the viewer then loads the stored image
  assert.deepEqual(await ask(`${host.url}dicom/${withFifoRendition}?rendition=display`), { status: 404, key: 'error.imageNotFound' });

  // everything else still works: images, the page, the API
  await imageServes(healthy);
  await imageServes(withFifoRendition);
  const page = await fetch(host.url, { headers: auth(), signal: AbortSignal.timeout(HANG_MS) });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="root">/);
  const info = await fetch(`${host.url}api/op/appInfo`, { method: 'POST', headers: { ...auth(), 'x-binome-request': '1', 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(HANG_MS) });
  assert.equal(info.status, 200);
});

test('the store check reports them as damaged, in this process and from the command line, without hanging', { skip: SKIP, timeout: 120_000 }, async () => {
  const [fifo, deviceLink, otherLink] = ids as [number, number, number];
  const expected = [fifo, deviceLink, otherLink].sort((a, b) => a - b).map((id) => `${id}:missing`);
  for (const content of [false, true]) {
    const result = await withDeadline(station.handlers.checkStore({ content }), `checkStore content=${content}`);
    assert.equal(result.checked, ids.length);
    assert.deepEqual(result.damaged.map((d) => `${d.instanceId}:${d.reason}`).sort(), expected, `content=${content}`);
  }
  const cli = spawn(process.execPath, [path.join(ROOT, 'bin', 'binome.js'), 'check', '--content', '--library', libraryDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  cli.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  cli.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  // a new process (Node, then the TypeScript loader) takes about 2 s on 2 idle cores, more than 5 on busy ones: a hang never ends
  const code = await withDeadline(new Promise<number | null>((resolve) => cli.on('exit', resolve)), 'binome check', CLI_HANG_MS).catch((error: unknown) => { cli.kill('SIGKILL'); throw error; });
  assert.equal(code, 1, out);
  for (const id of [fifo, deviceLink, otherLink]) assert.match(out, new RegExp(`damaged: image ${id} of exam \\d+: missing from the store`), out);
  assert.match(out, new RegExp(`Checked ${ids.length} stored file\\(s\\) \\(size and content\\): 3 damaged`), out);
});

test('a rendition task on a FIFO in the store fails at once rather than blocking an import thread', { skip: SKIP, timeout: 120_000 }, async () => {
  const [fifo] = ids as [number];
  // a rendition task on the stored FIFO, as the maker runs it (the images here fit 1024 pixels: ask for 64)
  // the import threads are the station's own (private): reached as the rendition maker reaches them
  const { importer } = station as unknown as { importer: Importer };
  const task = importer.runTask('rendition', { file: storedPath(fifo), target: path.join(tempDir('fifo-rendition'), 'r.dcm'), tmpDir: tempDir('fifo-tmp'), maxSide: 64, rendition: true, breastBox: true }, HANG_MS);
  await assert.rejects(withDeadline(task, 'rendition of a FIFO'), (error: Error) => error.name === 'NotRegularFileError');
});
