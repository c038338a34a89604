// The upload staging's idle limit (bodyIdleMs) counts the time an upload waits on its sender only: a
// body paused because the disk has not taken what it was given (the file's write stream full) is not a
// stalled client.
import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { UploadStaging, UploadError } from '../../main/import/uploads.ts';
import { tempDir } from '../helpers/paths.ts';

afterEach(() => mock.restoreAll());

const IDLE_MS = 300;
const DISK_MS = 500;
const CHUNK = 64 * 1024;

/** Every file the staging opens is written by a disk that takes DISK_MS for each write. */
function slowDisk(): void {
  const realOpen = fs.promises.open.bind(fs.promises);
  mock.method(fs.promises, 'open', async (file: string, flags: string) => {
    const handle = await realOpen(file, flags);
    return {
      close: () => handle.close(),
      createWriteStream: () => new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _encoding, callback) {
          setTimeout(() => handle.write(chunk).then(() => callback(), callback), DISK_MS);
        },
      }),
    };
  });
}

const chunks = (n: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(CHUNK, i + 1));

test('a slow disk is not a stalled sender: a body whose bytes were all there, paused for the disk longer than the idle limit, arrives whole', { timeout: 30_000 }, async () => {
  const staging = new UploadStaging(tempDir('upload-slow-disk'), { maxFileBytes: 1 << 24, maxFilesPerUpload: 10, maxConcurrentFiles: 1, bodyIdleMs: IDLE_MS });
  slowDisk();
  try {
    const id = staging.begin();
    const sent = chunks(4);
    const started = Date.now();
    const { bytes } = await staging.receive(id, 'a.dcm', Readable.from(sent, { objectMode: false }));
    assert.ok(Date.now() - started >= 4 * DISK_MS - 50, 'the disk did take its time (longer than the idle limit)');
    assert.equal(bytes, 4 * CHUNK);
    mock.restoreAll();
    const { files, done } = staging.take(id);
    assert.equal(files.length, 1);
    assert.deepEqual(fs.readFileSync(files[0]!.path), Buffer.concat(sent));
    await done();
  } finally {
    mock.restoreAll();
    await staging.close();
  }
});

test('a sender that stops is still given up after the idle limit, on a slow disk too, counted from when the disk took its bytes; its partial file removed', { timeout: 30_000 }, async () => {
  const root = tempDir('upload-stalled-sender');
  const staging = new UploadStaging(root, { maxFileBytes: 1 << 24, maxFilesPerUpload: 10, maxConcurrentFiles: 1, bodyIdleMs: IDLE_MS });
  slowDisk();
  try {
    const id = staging.begin();
    const body = new Readable({ read() { /* the sender sends nothing more */ } });
    for (const c of chunks(2)) body.push(c);
    const started = Date.now();
    await assert.rejects(staging.receive(id, 'b.dcm', body), (error: unknown) => error instanceof UploadError && error.code === 'stalled');
    const took = Date.now() - started;
    assert.ok(took >= 2 * DISK_MS + IDLE_MS - 50, `given up ${took} ms after the start: the disk's two writes and then the idle limit`);
    assert.ok(took < 2 * DISK_MS + 4 * IDLE_MS + 2000, `not waiting for ever (${took} ms)`);
    const left = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    assert.deepEqual(left, [], 'no partial file left');
  } finally {
    mock.restoreAll();
    await staging.close();
  }
});
