// Where inspection reads a file's bytes from: memory, or a file read in bounded chunks. The parser
// asks for a window holding at least the bytes it needs; a file source reads one chunk at a time,
// so bulk values (pixel data, large private blobs) are skipped by their lengths without being read.

import fs from 'node:fs';

/** A window on the source: `bytes[i]` is the source's byte `start + i`. */
export interface Window {
  bytes: Uint8Array;
  start: number;
}

export interface ByteSource {
  readonly size: number;
  /**
   * A window holding the bytes [offset, offset + min) (fewer where the source ends first), and as
   * many after them as the source finds cheap to give; `hint` suggests how many to read ahead.
   */
  window(offset: number, min: number, hint?: number): Window;
  /** Bytes read from the underlying file so far (0 for memory). */
  readonly bytesRead: number;
}

export class MemorySource implements ByteSource {
  readonly size: number;
  readonly bytesRead = 0;
  private readonly whole: Window;

  constructor(bytes: Uint8Array) {
    this.size = bytes.length;
    this.whole = { bytes, start: 0 };
  }

  window(): Window {
    return this.whole;
  }
}

const FIRST_CHUNK = 16 * 1024;
const MAX_CHUNK = 1024 * 1024;

/**
 * A file read with positioned, synchronous reads (inspection runs in a worker thread): the first
 * read is 16 KiB (a header fits), later ones grow to 1 MiB unless the caller hints at less.
 */
export class FileSource implements ByteSource {
  bytesRead = 0;
  private next = FIRST_CHUNK;

  constructor(private readonly fd: number, readonly size: number) {}

  window(offset: number, min: number, hint?: number): Window {
    const want = Math.min(this.size - offset, Math.max(min, hint ?? this.next));
    if (hint === undefined) this.next = Math.min(MAX_CHUNK, this.next * 4);
    const bytes = Buffer.allocUnsafe(Math.max(0, want));
    let filled = 0;
    while (filled < want) {
      const n = fs.readSync(this.fd, bytes, filled, want - filled, offset + filled);
      if (n === 0) break; // the file shrank while it was read: the caller sees a short window
      filled += n;
    }
    this.bytesRead += filled;
    return { bytes: bytes.subarray(0, filled), start: offset };
  }
}
