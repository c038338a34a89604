// Files uploaded from a browser (the loopback host, where the page cannot name paths) are written
// straight to disk as they arrive, never held whole in memory, into a staging folder of the
// library; when the page says the upload is complete, all its files are imported as one job (so an
// exam dropped as four files is never shown with two), moved into the store, and the staging
// folder goes. Limits: a file's size (what a DICOM file can be), files per upload, uploads
// received at once (each holds a disk write stream and a socket), and how long a file's body may
// send nothing (a stalled sender would hold its place for ever).
//
// Staging folders are uploads/<pid>-<start time>-<random>/<upload id>/: a process removes only those
// of owners that are gone, and its own uploads left idle for UPLOAD_IDLE_MS.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { isOwnerAlive, ownedFolderName, ownerFromFolderName } from '../base/process-owner.ts';
import type { ImportSource } from './importer.ts';

export interface UploadLimits {
  /** Largest file accepted (a DICOM element length is 32-bit; mammography files are tens of MB, tomosynthesis hundreds). */
  maxFileBytes: number;
  maxFilesPerUpload: number;
  /** Files received at once, over all uploads. */
  maxConcurrentFiles: number;
  /**
   * How long a file's body may bring no byte before it is given up (its partial file removed, its
   * place freed): the host lets a large file take as long as it needs (no request time limit), so
   * four connections that sent a few bytes and stopped held every place, and every later file was
   * answered "too many files at once" until they closed (a probe).
   */
  bodyIdleMs?: number;
}

export const DEFAULT_UPLOAD_LIMITS: Required<UploadLimits> = { maxFileBytes: 4 * 1024 ** 3 - 1, maxFilesPerUpload: 100_000, maxConcurrentFiles: 4, bodyIdleMs: 60_000 };
const UPLOAD_IDLE_MS = 6 * 3600_000;

export type UploadErrorCode = 'not_found' | 'too_large' | 'too_many_files' | 'busy' | 'still_arriving' | 'aborted' | 'stalled';

export class UploadError extends Error {
  constructor(readonly code: UploadErrorCode, message: string, readonly params: Record<string, number> = {}) {
    super(message);
    this.name = 'UploadError';
  }
}

interface Upload {
  dir: string;
  files: ImportSource[];
  receiving: number;
  /** The next file's number in the staging folder. */
  next: number;
  touched: number;
}

const ID = /^[0-9a-f]{24}$/;

export class UploadStaging {
  private readonly uploads = new Map<string, Upload>();
  private receiving = 0;
  private readonly ownDir: string;
  private readonly limits: Required<UploadLimits>;

  constructor(root: string, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS) {
    this.limits = { ...DEFAULT_UPLOAD_LIMITS, ...limits, bodyIdleMs: limits.bodyIdleMs ?? DEFAULT_UPLOAD_LIMITS.bodyIdleMs };
    this.ownDir = path.join(root, ownedFolderName());
    fs.mkdirSync(root, { recursive: true });
    for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
      const owner = ownerFromFolderName(entry.name);
      if (entry.isDirectory() && owner && !isOwnerAlive(owner)) fs.rmSync(path.join(root, entry.name), { recursive: true, force: true });
    }
  }

  begin(): string {
    this.dropIdle();
    const id = randomBytes(12).toString('hex');
    const dir = path.join(this.ownDir, id);
    fs.mkdirSync(dir, { recursive: true });
    this.uploads.set(id, { dir, files: [], receiving: 0, next: 1, touched: Date.now() });
    return id;
  }

  private get(id: string): Upload {
    const upload = ID.test(id) ? this.uploads.get(id) : undefined;
    if (!upload) throw new UploadError('not_found', 'No such upload (it was finished, cancelled, or began in another run of the station)');
    upload.touched = Date.now();
    return upload;
  }

  /**
   * Writes one file of an upload from a stream, checking its size as it comes (`declaredBytes`, from
   * Content-Length, lets an oversized file be refused before a byte is written).
   */
  async receive(id: string, name: string, body: Readable, declaredBytes?: number): Promise<{ bytes: number }> {
    const upload = this.get(id);
    const { maxFileBytes, maxFilesPerUpload, maxConcurrentFiles, bodyIdleMs } = this.limits;
    if (declaredBytes !== undefined && declaredBytes > maxFileBytes) throw new UploadError('too_large', 'The file is larger than a DICOM file can be', { limit: maxFileBytes });
    if (upload.files.length + upload.receiving >= maxFilesPerUpload) throw new UploadError('too_many_files', 'Too many files in one upload', { limit: maxFilesPerUpload });
    if (this.receiving >= maxConcurrentFiles) throw new UploadError('busy', 'Too many files are being received at once; send them one after another', { limit: maxConcurrentFiles });
    this.receiving++;
    upload.receiving++;
    const file = path.join(upload.dir, String(upload.next++).padStart(6, '0'));
    const part = `${file}.part`;
    let bytes = 0;
    let idle: NodeJS.Timeout | undefined;
    let settled = false;
    let out: fs.WriteStream | null = null;
    // the body is read as the disk takes it: a pause counts from the last byte read, or from the moment the
    // disk took what it was given. While the file's write stream is full, the body is paused for the disk
    // (backpressure), not waiting on its sender: a slow disk (a busy NAS, a USB drive) was reported as a
    // stalled client, error.uploadStalled, and the file given up (a review)
    const watch = () => {
      clearTimeout(idle);
      const armedAt = bytes;
      // looked at once more after the bytes waiting on the socket are read: a process that was not
      // scheduled for a while runs its timers before it reads what arrived meanwhile
      idle = setTimeout(() => setImmediate(() => {
        if (bytes !== armedAt || settled) return;
        if (out?.writableNeedDrain) { out.once('drain', () => { if (!settled) watch(); }); return; }
        body.destroy(new UploadError('stalled', `No byte of the file arrived for ${Math.round(bodyIdleMs / 1000)} s`, { seconds: Math.round(bodyIdleMs / 1000) }));
      }), bodyIdleMs);
    };
    try {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          watch();
          if (bytes > maxFileBytes) callback(new UploadError('too_large', 'The file is larger than a DICOM file can be', { limit: maxFileBytes }));
          else callback(null, chunk);
        },
      });
      // the file opened before the body is read: a body that failed at once rejected the pipeline before
      // a lazily opened stream had made its file, which was removed first and made after (a clean-clone
      // run found a `.part` left)
      const handle = await fs.promises.open(part, 'wx');
      watch();
      try {
        out = handle.createWriteStream();
        await pipeline(body, counter, out);
      } finally {
        await handle.close().catch(() => undefined); // (closed already where the stream ended)
      }
      await fs.promises.rename(part, file);
      upload.files.push({ path: file, label: name, staged: true });
      return { bytes };
    } catch (error) {
      await fs.promises.rm(part, { force: true });
      if (error instanceof UploadError) throw error;
      if ((error as { code?: string })?.code === 'ENOSPC') throw error;
      throw new UploadError('aborted', 'The file did not arrive whole');
    } finally {
      settled = true;
      clearTimeout(idle);
      this.receiving--;
      upload.receiving--;
    }
  }

  /** Hands the upload's files over for import and forgets the upload; `done()` removes what is left of its folder. */
  take(id: string): { files: ImportSource[]; done: () => Promise<void> } {
    const upload = this.get(id);
    if (upload.receiving) throw new UploadError('still_arriving', 'Files of this upload are still arriving');
    this.uploads.delete(id);
    return { files: upload.files, done: () => fs.promises.rm(upload.dir, { recursive: true, force: true }) };
  }

  async cancel(id: string): Promise<void> {
    const upload = this.get(id);
    this.uploads.delete(id);
    await fs.promises.rm(upload.dir, { recursive: true, force: true });
  }

  /** Removes everything this process staged (at shutdown). */
  async close(): Promise<void> {
    this.uploads.clear();
    await fs.promises.rm(this.ownDir, { recursive: true, force: true });
  }

  private dropIdle(): void {
    const now = Date.now();
    for (const [id, upload] of this.uploads) {
      if (!upload.receiving && now - upload.touched > UPLOAD_IDLE_MS) {
        this.uploads.delete(id);
        fs.rmSync(upload.dir, { recursive: true, force: true });
      }
    }
  }
}
