// The content-addressed image store: each file is kept once, exactly as received, under the
// XXH3-128 hash of its bytes. A copy is written under a temporary name in this process's own
// temporary folder, hashed, and renamed into place: a reader never sees half a file. If the source
// changed while it was copied, the copy is hashed instead, so the address always describes what is
// stored. Two files with the same address are compared byte for byte before one is dropped, so the
// address needs no cryptographic strength (XXH3 hashes about four times faster than SHA-256 here).
//
// Several processes may write to one store at once. Each keeps its unfinished copies in its own
// folder, tmp/<pid>-<start time>/, and a process removes only the folders of owners that are gone.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createXXHash128 } from 'hash-wasm';
import { isOwnerAlive, ownedFolderName, ownerFromFolderName } from '../base/process-owner.ts';
import { openRegularFile, openRegularFileSync } from '../base/regular-file.ts';
import type { RegularFileOptions } from '../base/regular-file.ts';

const CHUNK = 1 << 20;

export class StoreCollisionError extends Error {}

export interface StoredFile {
  key: string;
  size: number;
}

/**
 * Copies a file to `target` (created), hashing the very bytes it copies, in 1 MiB chunks
 * (synchronous: this runs on a worker thread). The source is opened once, as a regular file, through
 * a link where it is one: a FIFO put in its place after it was listed is refused, never waited on
 * (checked, then opened again by copyFile, it held one of the process's file threads until someone
 * wrote to it: a probe); a file changing meanwhile is stored as read, under the key of what was read.
 */
async function copyAndHash(source: string, target: string): Promise<StoredFile> {
  const hasher = await createXXHash128();
  hasher.init();
  const { fd } = openRegularFileSync(source, { followLinks: true });
  try {
    const out = fs.openSync(target, 'wx');
    try {
      const buffer = Buffer.allocUnsafe(CHUNK);
      let size = 0;
      for (;;) {
        const bytesRead = fs.readSync(fd, buffer, 0, CHUNK, size);
        if (!bytesRead) break;
        hasher.update(buffer.subarray(0, bytesRead));
        for (let written = 0; written < bytesRead;) written += fs.writeSync(out, buffer, written, bytesRead - written);
        size += bytesRead;
      }
      return { key: hasher.digest('hex'), size };
    } finally {
      fs.closeSync(out);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Hashes a file in 1 MiB chunks (synchronous reads: this runs on a worker thread). Only a regular
 * file is read (main/base/regular-file.ts): a stored file is never a link, a source file may be one.
 */
export async function hashFile(file: string, options: RegularFileOptions = {}): Promise<string> {
  const hasher = await createXXHash128();
  hasher.init();
  const { fd } = openRegularFileSync(file, options);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let position = 0; ;) {
      const bytesRead = fs.readSync(fd, buffer, 0, CHUNK, position);
      if (!bytesRead) break;
      hasher.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    fs.closeSync(fd);
  }
  return hasher.digest('hex');
}

/** Whether two regular files hold the same bytes (a copy of ours, and what the store holds at its address). */
async function sameContent(a: string, b: string): Promise<boolean> {
  const { handle: ha, stat: sa } = await openRegularFile(a);
  const { handle: hb, stat: sb } = await openRegularFile(b).catch(async (error: unknown) => { await ha.close(); throw error; });
  try {
    if (sa.size !== sb.size) return false;
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    for (let position = 0; position < sa.size; position += CHUNK) {
      const [ra, rb] = await Promise.all([ha.read(ba, 0, CHUNK, position), hb.read(bb, 0, CHUNK, position)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([ha.close(), hb.close()]);
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r+');
  try { await handle.datasync(); } finally { await handle.close(); }
}

/** Where the store keeps what; no file is touched by constructing it. */
export class StoreLayout {
  constructor(readonly root: string) {}

  pathFor(key: string): string {
    if (!/^[0-9a-f]{32}$/.test(key)) throw new Error('invalid content key');
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), `${key}.dcm`);
  }

  get tmpRoot(): string {
    return path.join(this.root, 'tmp');
  }

  /** The display rendition of a stored file (a reduced copy for the viewer's first paint), by the file's address and the rendition's longest side. */
  renditionPathFor(key: string, side: number): string {
    if (!/^[0-9a-f]{32}$/.test(key) || !Number.isInteger(side) || side <= 0) throw new Error('invalid rendition');
    return path.join(this.root, 'renditions', key.slice(0, 2), `${key}-${side}.dcm`);
  }
}

export interface OpenedStore {
  layout: StoreLayout;
  /** This opening's own folder of unfinished copies. */
  tmpDir: string;
  /** Removes the folder (once nothing is being copied). */
  release(): void;
}

/**
 * Opens the store: creates a temporary folder of this opening's own and removes those of processes
 * that no longer run (their copies were never committed). Files a killed process left directly in
 * tmp/ (before per-process folders existed) are removed too.
 */
export function openStore(root: string): OpenedStore {
  const layout = new StoreLayout(root);
  const tmpDir = path.join(layout.tmpRoot, ownedFolderName());
  fs.mkdirSync(tmpDir, { recursive: true });
  for (const entry of fs.readdirSync(layout.tmpRoot, { withFileTypes: true })) {
    const full = path.join(layout.tmpRoot, entry.name);
    if (!entry.isDirectory()) { fs.rmSync(full, { force: true }); continue; }
    const owner = ownerFromFolderName(entry.name);
    if (owner && !isOwnerAlive(owner)) fs.rmSync(full, { recursive: true, force: true });
  }
  return { layout, tmpDir, release: () => fs.rmSync(tmpDir, { recursive: true, force: true }) };
}

export interface PutOptions {
  /** fsync the file (and its folder) before it is committed: survives power loss, not only a killed process. */
  durable: boolean;
  /** The source is the library's own staging copy (an upload): move it instead of copying. */
  move?: boolean;
  /**
   * The source is the library's own copy and must stay where it is until the database records it
   * (a received file: its sender was told it is stored): a second link to it is stored instead of a
   * copy (a copy where the file system cannot link).
   */
  link?: boolean;
}

/** Writes into the store; used on the import worker threads. */
export class StoreWriter {
  constructor(private readonly layout: StoreLayout, private readonly tmpDir: string) {}

  private tmpPath(): string {
    return path.join(this.tmpDir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
  }

  /** Stores a copy of a file (or the file itself, moved, when it is the library's own staging copy). */
  async putFile(source: string, options: PutOptions): Promise<StoredFile> {
    // its folder made again where it went (removed by another process that took this one for gone, one
    // of another container: every import and CAD SR then failed until a restart, an IT person's probe)
    await fs.promises.mkdir(this.tmpDir, { recursive: true });
    const tmp = this.tmpPath();
    try {
      if (options.link) {
        await fs.promises.link(source, tmp).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EXDEV' && error.code !== 'EPERM' && error.code !== 'ENOTSUP') throw error;
          await fs.promises.copyFile(source, tmp);
        });
        const { size } = await fs.promises.stat(tmp);
        if (options.durable) await syncFile(tmp);
        return { key: await this.commit(tmp, await hashFile(tmp), options.durable), size };
      }
      if (options.move) {
        await fs.promises.rename(source, tmp);
        const { size } = await fs.promises.stat(tmp);
        if (options.durable) await syncFile(tmp);
        return { key: await this.commit(tmp, await hashFile(tmp), options.durable), size };
      }
      const { key, size } = await copyAndHash(source, tmp);
      if (options.durable) await syncFile(tmp);
      return { key: await this.commit(tmp, key, options.durable), size };
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  private async commit(tmp: string, key: string, durable: boolean): Promise<string> {
    const target = this.layout.pathFor(key);
    const found = await fs.promises.lstat(target).catch(() => null);
    if (found?.isFile()) {
      if (await sameContent(tmp, target)) return key; // already stored: keep the one copy
      // Another file at this address: damaged in place (its bytes no longer hash to the address) is
      // replaced by this good copy; one that does hash to it is a collision, and is never replaced.
      if ((await hashFile(target)) === key) throw new StoreCollisionError('a different file is already stored under the same content address');
    } else if (found) {
      // not a regular file (a FIFO, a folder, a link: the store never holds one): put there by something else
      await fs.promises.rm(target, { recursive: true, force: true });
    }
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await fs.promises.rename(tmp, target);
    if (durable) {
      // the rename itself survives power loss only once its folder is flushed
      const dir = await fs.promises.open(path.dirname(target), 'r');
      try { await dir.sync(); } finally { await dir.close(); }
    }
    return key;
  }
}
