// The content-addressed image store: each file is kept once, under its SHA-256, exactly as received.
// Files are written to a temporary name and renamed into place, so a reader never sees half a file.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class DicomStore {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true });
    // Temporary files left by a killed process are garbage: their content was never committed.
    for (const name of fs.readdirSync(this.tmpDir)) fs.rmSync(path.join(this.tmpDir, name), { force: true });
  }

  static hash(bytes: Uint8Array): string {
    return createHash('sha256').update(bytes).digest('hex');
  }

  pathFor(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error('invalid content hash');
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), `${hash}.dcm`);
  }

  /** Stores the bytes under their hash; returns false when an identical file was already there. */
  async put(bytes: Uint8Array, hash: string, options: { durable: boolean }): Promise<boolean> {
    const target = this.pathFor(hash);
    const existing = await fs.promises.stat(target).catch(() => null);
    if (existing && existing.size === bytes.length) return false;
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(this.tmpDir, `${hash}.${randomBytes(4).toString('hex')}`);
    const handle = await fs.promises.open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      if (options.durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    try {
      await fs.promises.rename(tmp, target);
    } catch (error) {
      await fs.promises.rm(tmp, { force: true });
      throw error;
    }
    return true;
  }
}
