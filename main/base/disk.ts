// What the disk says when the library cannot be written: full, or read-only. SQLite's "disk I/O
// error" and "unable to open database file", and a mkdir's ENOENT, were all a clinic's IT was told
// of a full disk and of a read-only one (a probe).

import fs from 'node:fs';
import path from 'node:path';
import { LibraryOpenError } from './library-open-error.ts';

/** Under this much free space, a library that cannot be opened or written is said to be on a full disk. */
const FULL_BELOW_BYTES = 4 << 20;

/**
 * While work waits for room on a full disk, how often it looks at the disk, and how much more free
 * space than it had when refused ends the wait at once: space freed by the clinic's IT left the AI
 * (and then its CAD SRs) waiting out their whole wait, the "disk full" notice shown that long (probes).
 */
export const ROOM_LOOK_MS = 2_000;
const ROOM_MADE_BYTES = 32 << 20;

/** The bytes freed on the disk holding `dir` since it had `freeWhenFull`, where ROOM_MADE_BYTES or more; else null. */
export function roomMadeSince(freeWhenFull: number | null, dir: string, disk: DiskLook = DISK): number | null {
  const free = disk.freeBytes(dir);
  if (free === null || freeWhenFull === null) return null;
  return free - freeWhenFull >= ROOM_MADE_BYTES ? free - freeWhenFull : null;
}

export interface DiskLook {
  /** Free bytes for this process on the disk holding `dir`, or null when it cannot be told. */
  freeBytes(dir: string): number | null;
  /** Whether a file can be made in `dir` (a read-only file system refuses even root). */
  writable(dir: string): boolean;
}

export const DISK: DiskLook = {
  freeBytes(dir) {
    try {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    } catch {
      return null;
    }
  },
  writable(dir) {
    const probe = path.join(dir, `.write-test-${process.pid}`);
    try {
      fs.writeFileSync(probe, '');
      fs.rmSync(probe);
      return true;
    } catch (error) {
      // full: a file may still be made (no block needed); not writable only for the reasons that say so
      return !['EROFS', 'EACCES', 'EPERM'].includes(String((error as NodeJS.ErrnoException).code));
    }
  },
};

/**
 * The library cannot be opened or written for its disk: full (code ENOSPC) or read-only (EROFS).
 * Its message is English, for logs; `key` and `params` say it in the reader's or the terminal's
 * language (common/i18n: a French terminal was told of its full disk in English, a probe).
 */
export class LibraryDiskError extends LibraryOpenError {
  declare readonly code: 'ENOSPC' | 'EROFS';
  declare readonly key: 'error.libraryDiskFull' | 'error.libraryReadOnly';
  declare readonly params: { dir: string; kb?: number };
  constructor(code: 'ENOSPC' | 'EROFS', key: 'error.libraryDiskFull' | 'error.libraryReadOnly', params: { dir: string; kb?: number }, message: string) {
    super(code, key, params, message);
  }
}

/** The library's folder cannot be written: an error saying so (code EROFS), or null. */
export function readOnlyProblem(dir: string, disk: DiskLook = DISK): LibraryDiskError | null {
  if (disk.writable(dir)) return null;
  return new LibraryDiskError('EROFS', 'error.libraryReadOnly', { dir },
    `the library cannot be opened: its folder (${dir}) cannot be written (a read-only disk, or no permission to write there)`);
}

/** The disk holding `dir` is full, or it cannot be written: an error saying which (code ENOSPC or EROFS), or null. */
export function diskProblem(dir: string, disk: DiskLook = DISK): LibraryDiskError | null {
  const free = disk.freeBytes(dir);
  if (free !== null && free < FULL_BELOW_BYTES) {
    const kb = Math.round(free / 1024);
    return new LibraryDiskError('ENOSPC', 'error.libraryDiskFull', { dir, kb },
      `the library cannot be opened: the disk holding it (${dir}) is full, ${kb} KB free; free some space and start again`);
  }
  return readOnlyProblem(dir, disk);
}
