// Uploads through the loopback host: streamed to the library's staging folder, refused by declared
// size before a byte is read and by counted size as they come (413, answered, never a reset), 503
// busy when too many files arrive at once (and a finish while one arrives says so, in its own
// words), nothing left behind by a refused or broken upload; and close() ends event streams and
// uploads in progress.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startLoopbackHost } from '../../main/transport/http.ts';
import type { LoopbackHost } from '../../main/transport/http.ts';
import type { StationService } from '../../main/service/station.ts';
import { HAS_SHARED_DICOM, ROOT, SHARED_DICOM, tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';
import { chunked, rawRequest } from '../helpers/raw-http.ts';

const RENDERER = path.join(ROOT, 'app', 'dist', 'renderer');
const SKIP = fs.existsSync(path.join(RENDERER, 'index.html')) ? false : 'the renderer is not built (npm test builds it first)';
const LIMIT = 1 << 20;

let station: StationService;
let host: LoopbackHost;

before(async () => {
  if (SKIP) return;
  station = openTestStation({ uploadLimits: { maxFileBytes: LIMIT, maxFilesPerUpload: 100, maxConcurrentFiles: 1 } });
  host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
});
after(async () => {
  await host?.close();
  await station?.close();
});

const headers = (extra: Record<string, string> = {}) => ({ 'x-binome-token': host.token, 'x-binome-request': '1', ...extra });
async function op<T>(name: string, input: unknown): Promise<{ status: number; body: { ok: boolean; value: T; error: { code: string; key?: string } } }> {
  const res = await fetch(`${host.url}api/op/${name}`, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(input) });
  return { status: res.status, body: await res.json() as never };
}
const begin = async () => (await op<{ uploadId: string }>('beginUpload', {})).body.value.uploadId;
const uploadHead = (uploadId: string, name: string, ...extra: string[]) => [`POST /api/upload/${uploadId}?name=${name} HTTP/1.1`, `Host: 127.0.0.1:${host.port}`,
  `x-binome-token: ${host.token}`, 'x-binome-request: 1', 'Content-Type: application/dicom', ...extra].join('\r\n');

/** Every file under the library's upload staging folder. */
function staged(): string[] {
  const root = path.join(station.paths.root, 'uploads');
  return fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(root, f)).isFile()) : [];
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) { if (check()) return; await new Promise((r) => setTimeout(r, 25)); }
  assert.fail(`timed out waiting for ${what}`);
}

test('files are streamed as the request body and imported as one job', { skip: SKIP }, async () => {
  const dir = tempDir('http-uploads');
  const [exam] = writeScreeningExams(dir, 1);
  const uploadId = await begin();
  for (const file of exam!.files) {
    const res = await fetch(`${host.url}api/upload/${uploadId}?name=${encodeURIComponent(path.basename(file))}`, {
      method: 'POST', headers: headers({ 'content-type': 'application/octet-stream' }), body: fs.readFileSync(file),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { value: { bytes: number } }).value.bytes, fs.statSync(file).size);
  }
  const finished = await op<{ imported: number }>('finishUpload', { uploadId });
  assert.equal(finished.status, 200);
  assert.equal(finished.body.value.imported, 4);
  assert.deepEqual(staged(), []);
});

test('a DICOMDIR uploaded with its files (a CD\'s folder dropped on the page) imports them and says none missing: resolved in the staging folder, where the files are renamed, every one read as missing, named by the station\'s own folder (a probe)', { skip: SKIP || (HAS_SHARED_DICOM ? false : 'the shared DICOM test files are absent') }, async () => {
  const cd = path.join(SHARED_DICOM, 'pydicom-dicomdir');
  const files = ['DICOMDIR', ...fs.readdirSync(cd, { recursive: true }).map(String).filter((f) => /^\d+\//.test(f) && fs.statSync(path.join(cd, f)).isFile())];
  const uploadId = await begin();
  for (const file of files) {
    const res = await fetch(`${host.url}api/upload/${uploadId}?name=${encodeURIComponent(file)}`, {
      method: 'POST', headers: headers({ 'content-type': 'application/octet-stream' }), body: fs.readFileSync(path.join(cd, file)),
    });
    assert.equal(res.status, 200);
  }
  const finished = await op<{ imported: number; duplicates: number; missing: number; missingFiles: string[]; ignored: number }>('finishUpload', { uploadId });
  assert.equal(finished.status, 200);
  assert.equal(finished.body.value.missing, 0, finished.body.value.missingFiles.join(', '));
  assert.equal(finished.body.value.ignored, 1, 'the DICOMDIR itself, a list');
  assert.equal(finished.body.value.imported + finished.body.value.duplicates, files.length - 1);
  assert.deepEqual(staged(), []);
});

test('a file over the limit is refused by its declared size, or as it comes, with an answer and nothing left behind', { skip: SKIP }, async () => {
  const uploadId = await begin();
  const big = Buffer.alloc(3 * LIMIT, 7);
  for (const connection of ['close', 'keep-alive']) {
    const declared = await rawRequest(host.port, uploadHead(uploadId, 'big.dcm', `Content-Length: ${big.length}`, `Connection: ${connection}`), [big]);
    assert.equal(declared.reset, false, declared.raw);
    assert.equal(declared.status, 413, declared.raw);
    assert.equal((JSON.parse(declared.body) as { error: { key: string } }).error.key, 'error.uploadTooLarge');
    const parts = Array.from({ length: 48 }, () => Buffer.alloc(LIMIT / 16, 7));
    const counted = await rawRequest(host.port, uploadHead(uploadId, 'big.dcm', 'Transfer-Encoding: chunked', `Connection: ${connection}`), chunked(parts));
    assert.equal(counted.reset, false, counted.raw);
    assert.equal(counted.status, 413, counted.raw);
    assert.equal((JSON.parse(counted.body) as { error: { code: string } }).error.code, 'too_large');
  }
  assert.deepEqual(staged(), []);
  const small = await rawRequest(host.port, uploadHead(uploadId, 'small.dcm', 'Content-Length: 4', 'Connection: close'), ['DICM']);
  assert.equal(small.status, 200, small.raw);
  assert.equal((await op('cancelUpload', { uploadId })).status, 200);
});

test('too many files at once: 503 busy with Retry-After; a broken upload leaves no file and frees its place', { skip: SKIP }, async () => {
  const uploadId = await begin();
  // one file arriving slowly holds the only place (maxConcurrentFiles: 1)
  const net = await import('node:net');
  const slow = net.connect(host.port, '127.0.0.1');
  slow.on('error', () => undefined);
  await new Promise((r) => slow.once('connect', r));
  slow.write(`${uploadHead(uploadId, 'slow.dcm', `Content-Length: ${LIMIT / 2}`)}\r\n\r\n`);
  slow.write(Buffer.alloc(1024, 1));
  await waitFor(() => staged().some((f) => f.endsWith('.part')), 'the slow file to be staged');

  const busy = await rawRequest(host.port, uploadHead(uploadId, 'second.dcm', 'Content-Length: 4', 'Connection: close'), ['DICM']);
  assert.equal(busy.status, 503, busy.raw);
  assert.equal(busy.headers['retry-after'], '1');
  assert.deepEqual((JSON.parse(busy.body) as { error: { code: string; key: string } }).error, { code: 'busy', key: 'error.uploadBusy', message: 'Too many files are arriving at once' });
  // finishing the upload while its file arrives says so, not "too many files are arriving at once"
  const finishing = await op('finishUpload', { uploadId });
  assert.equal(finishing.status, 503);
  assert.deepEqual(finishing.body.error, { code: 'busy', key: 'error.uploadStillArriving', message: 'Files of this import are still arriving: wait for them, then finish' });

  // the slow client goes away mid-file: its partial file goes, and its place is free again
  slow.destroy();
  await waitFor(() => staged().length === 0, 'the partial file to be removed');
  const next = await rawRequest(host.port, uploadHead(uploadId, 'second.dcm', 'Content-Length: 4', 'Connection: close'), ['DICM']);
  assert.equal(next.status, 200, next.raw);
  assert.equal((await op('cancelUpload', { uploadId })).status, 200);
  assert.equal((await op('appInfo', {})).status, 200);
});

test('a file whose body stops arriving is given up: answered, its partial file removed, its place freed for the next file', { skip: SKIP, timeout: 60_000 }, async () => {
  // four senders that send 10 bytes and stop held every place until they closed, and every later
  // file was answered 503 busy (a probe): each is given up after bodyIdleMs without a byte
  const other = openTestStation({ uploadLimits: { maxFileBytes: LIMIT, maxFilesPerUpload: 10, maxConcurrentFiles: 4, bodyIdleMs: 1000 } });
  const second = await startLoopbackHost({ service: other, rendererDir: RENDERER });
  try {
    const begun = await fetch(`${second.url}api/op/beginUpload`, { method: 'POST', headers: { 'x-binome-token': second.token, 'x-binome-request': '1', 'content-type': 'application/json' }, body: '{}' });
    const { uploadId } = ((await begun.json()) as { value: { uploadId: string } }).value;
    const head = (name: string, length: number) => [`POST /api/upload/${uploadId}?name=${name} HTTP/1.1`, `Host: 127.0.0.1:${second.port}`,
      `x-binome-token: ${second.token}`, 'x-binome-request: 1', 'Content-Type: application/dicom', `Content-Length: ${length}`].join('\r\n');
    const stalled = await Promise.all([1, 2, 3, 4].map((n) => rawRequest(second.port, head(`stalled-${n}.dcm`, 100_000), [Buffer.alloc(10, n)], 10_000)));
    for (const answer of stalled) {
      assert.equal(answer.status, 400, answer.raw);
      assert.deepEqual((JSON.parse(answer.body) as { error: { key: string; params: unknown } }).error.key, 'error.uploadStalled');
    }
    const uploads = path.join(other.paths.root, 'uploads');
    assert.deepEqual(fs.readdirSync(uploads, { recursive: true }).map(String).filter((f) => /\d{6}(\.part)?$/.test(f)), [], 'no partial file left');
    const next = await rawRequest(second.port, `${head('next.dcm', 4)}\r\nConnection: close`, ['DICM'], 10_000);
    assert.equal(next.status, 200, next.raw);
    const finished = await fetch(`${second.url}api/op/cancelUpload`, { method: 'POST', headers: { 'x-binome-token': second.token, 'x-binome-request': '1', 'content-type': 'application/json' }, body: JSON.stringify({ uploadId }) });
    assert.equal(finished.status, 200);
  } finally {
    await second.close();
    await other.close();
  }
});

test('close() ends event streams and uploads in progress', { skip: SKIP, timeout: 60_000 }, async () => {
  const other = openTestStation({ uploadLimits: { maxFileBytes: LIMIT, maxFilesPerUpload: 10, maxConcurrentFiles: 2 } });
  const second = await startLoopbackHost({ service: other, rendererDir: RENDERER });
  try {
    const events = await fetch(`${second.url}api/events`, { headers: { 'x-binome-token': second.token } });
    assert.equal(events.status, 200);
    assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = events.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /connected/);

    const begun = await fetch(`${second.url}api/op/beginUpload`, { method: 'POST', headers: { 'x-binome-token': second.token, 'x-binome-request': '1', 'content-type': 'application/json' }, body: '{}' });
    const { uploadId } = ((await begun.json()) as { value: { uploadId: string } }).value;
    const net = await import('node:net');
    const slow = net.connect(second.port, '127.0.0.1');
    const slowClosed = new Promise((r) => slow.once('close', r));
    slow.on('error', () => undefined);
    await new Promise((r) => slow.once('connect', r));
    slow.write(`POST /api/upload/${uploadId}?name=a.dcm HTTP/1.1\r\nHost: 127.0.0.1:${second.port}\r\nx-binome-token: ${second.token}\r\nx-binome-request: 1\r\nContent-Type: application/dicom\r\nContent-Length: 100000\r\n\r\n`);
    slow.write(Buffer.alloc(1000));
    const uploads = path.join(other.paths.root, 'uploads');
    await waitFor(() => fs.readdirSync(uploads, { recursive: true }).map(String).some((f) => f.endsWith('.part')), 'the upload to start');

    await second.close();
    // the event stream ended and the upload's connection was closed
    let ended = false;
    try { while (!(await reader.read()).done) { /* drain */ } ended = true; } catch { ended = true; }
    assert.equal(ended, true);
    await slowClosed;
  } finally {
    await second.close();
    await other.close();
  }
  const uploads = path.join(other.paths.root, 'uploads');
  assert.deepEqual(fs.existsSync(uploads) ? fs.readdirSync(uploads, { recursive: true }).map(String).filter((f) => f.endsWith('.part')) : [], []);
});
