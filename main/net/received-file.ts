// One data set arriving in a C-STORE, written to disk as its fragments arrive: the Part 10 header
// first (File Meta Information naming the transfer syntax it travels in), then its bytes exactly as
// received. The file is written under a `.part` name, flushed to the disk (fdatasync) and renamed,
// and the rename flushed (its folder's fsync), before 'finish': only then may the C-STORE response
// say success. The receiver's folder thus holds whole files (`.dcm`) and unfinished ones (`.part`),
// never a half file under a whole file's name, whatever moment the power goes.
//
// Flushing 17 MB at the end would keep the caller waiting for the whole write-back; the file is
// flushed every FLUSH_EVERY bytes as it arrives instead, in the background, so that the last flush
// has little left to write.

import fs from 'node:fs';
import { Writable } from 'node:stream';
import { part10Header } from '../dicom/write.ts';
import type { FileMetaInformation } from '../dicom/write.ts';

const FLUSH_EVERY = 1024 * 1024;

export class ReceivedFile extends Writable {
  private fd: number | null = null;
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  /** Bytes of the data set received (the header not counted). */
  bytes = 0;
  private renamed = false;

  /**
   * `folder`: an open handle on the folder the file is written in (fsynced after the rename).
   * `onQueued`: told how many bytes wait to be written, so that the socket can be paused.
   */
  constructor(readonly partPath: string, readonly finalPath: string, private readonly meta: FileMetaInformation,
    private readonly folder: fs.promises.FileHandle, private readonly onQueued?: (bytes: number) => void) {
    // no back-pressure through write()'s return: the caller pauses its socket on onQueued instead
    super({ highWaterMark: 1 << 30, decodeStrings: false });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    fs.open(this.partPath, 'wx', (error, fd) => {
      if (error) return callback(error);
      this.fd = fd;
      const header = part10Header(this.meta);
      fs.write(fd, header, 0, header.length, null, (e) => callback(e));
    });
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    fs.writev(this.fd!, buffers, (error, written) => {
      if (error) return callback(error);
      this.bytes += written;
      this.unflushed += written;
      this.flushSoon();
      callback();
      this.onQueued?.(this.writableLength);
    });
  }

  /**
   * Keeps one flush running while data arrives: a new one starts as soon as the last ends and
   * FLUSH_EVERY bytes more were written, so that the disk writes while the network delivers.
   */
  private flushSoon(): void {
    if (this.flushing || this.unflushed < FLUSH_EVERY || this.fd === null) return;
    this.unflushed = 0;
    const fd = this.fd;
    this.flushing = new Promise<void>((resolve) => fs.fdatasync(fd, () => resolve())).then(() => {
      this.flushing = null;
      if (!this.writableEnded) this.flushSoon();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    void (async () => {
      await this.flushing;
      const fd = this.fd!;
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
      await new Promise<void>((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
      this.fd = null;
      await fs.promises.rename(this.partPath, this.finalPath);
      this.renamed = true;
      await this.folder.sync();
    })().then(() => callback(), (error: Error) => callback(error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = null;
    const close = fd === null ? Promise.resolve() : new Promise<void>((resolve) => fs.close(fd, () => resolve()));
    void close.then(async () => {
      // a file that did not arrive whole is not kept; one that did stays for the import
      if (!this.renamed || error) {
        await fs.promises.rm(this.partPath, { force: true });
        if (this.renamed && error) await fs.promises.rm(this.finalPath, { force: true });
      }
    }).then(() => callback(error), () => callback(error));
  }
}
