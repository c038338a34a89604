// The content-addressed image store: each file is kept once, exactly as received, under the
// XXH3-128 hash of its bytes. The kernel copies the file to a temporary name while the source is
// hashed on another core; if the source changed meanwhile, the copy is hashed instead, so the
// address always describes what is stored. The copy is then renamed into place: a reader never
// sees half a file. Two files with the same address are compared byte for
// byte before one is dropped, so the address needs no cryptographic strength (XXH3 hashes about
// four times faster than SHA-256 here, which is what lets import keep pace with a plain copy).

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createXXHash128 } from 'hash-wasm';

const CHUNK = 1 << 20;

export class StoreCollisionError extends Error {}

export interface StoredFile {
  key: string;
  size: number;
}

/**
 * Hashes a file, reading it synchronously in 1 MiB chunks: reads from the page cache are fast, and
 * asynchronous reads would queue behind the kernel copies that occupy libuv's few worker threads.
 * The event loop is given a turn every 16 MiB.
 */
async function hashFile(file: string): Promise<string> {
  const hasher = await createXXHash128();
  hasher.init();
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let position = 0, sinceYield = 0; ;) {
      const bytesRead = fs.readSync(fd, buffer, 0, CHUNK, position);
      if (!bytesRead) break;
      hasher.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
      if ((sinceYield += bytesRead) >= 16 * CHUNK) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return hasher.digest('hex');
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([fs.promises.open(a, 'r'), fs.promises.open(b, 'r')]);
  try {
    const [sa, sb] = await Promise.all([ha.stat(), hb.stat()]);
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

export class DicomStore {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true });
    // Temporary files left by a killed process are garbage: their content was never committed.
    for (const name of fs.readdirSync(this.tmpDir)) fs.rmSync(path.join(this.tmpDir, name), { force: true });
  }

  /** The content address of some bytes (XXH3-128, hex). */
  static async contentKey(bytes: Uint8Array): Promise<string> {
    const hasher = await createXXHash128();
    hasher.init();
    hasher.update(bytes);
    return hasher.digest('hex');
  }

  pathFor(key: string): string {
    if (!/^[0-9a-f]{32}$/.test(key)) throw new Error('invalid content key');
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), `${key}.dcm`);
  }

  private tmpPath(): string {
    return path.join(this.tmpDir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
  }

  /** Stores a copy of a file. */
  async putFile(source: string, options: { durable: boolean }): Promise<StoredFile> {
    const tmp = this.tmpPath();
    try {
      const before = await fs.promises.stat(source);
      const [, sourceKey] = await Promise.all([fs.promises.copyFile(source, tmp), hashFile(source)]);
      const [after, copied] = await Promise.all([fs.promises.stat(source), fs.promises.stat(tmp)]);
      const unchanged = after.size === before.size && after.mtimeMs === before.mtimeMs && copied.size === before.size;
      const key = unchanged ? sourceKey : await hashFile(tmp);
      if (options.durable) await this.sync(tmp);
      return { key: await this.commit(tmp, key), size: copied.size };
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  /** Stores bytes received without a file (an upload). */
  async putBytes(bytes: Uint8Array, options: { durable: boolean }): Promise<StoredFile> {
    const tmp = this.tmpPath();
    try {
      await fs.promises.writeFile(tmp, bytes);
      if (options.durable) await this.sync(tmp);
      return { key: await this.commit(tmp, await DicomStore.contentKey(bytes)), size: bytes.length };
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  private async sync(file: string): Promise<void> {
    const handle = await fs.promises.open(file, 'r+');
    try { await handle.datasync(); } finally { await handle.close(); }
  }

  private async commit(tmp: string, key: string): Promise<string> {
    const target = this.pathFor(key);
    if (fs.existsSync(target)) {
      if (await sameContent(tmp, target)) return key; // already stored: keep the one copy
      throw new StoreCollisionError('a different file is already stored under the same content address');
    }
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await fs.promises.rename(tmp, target);
    return key;
  }
}
