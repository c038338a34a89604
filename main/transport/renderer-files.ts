// The files of the built renderer, for both transports (the loopback host, Electron's binome://
// protocol): a decoded request path resolves to a regular file inside the renderer folder, never
// outside it (not through "..", nor through a link), opened before it is measured so that what is
// served is what was checked. Paths without an extension that name no file get index.html (the
// page); a missing asset is a 404, not a page served as a script.

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};

export interface RendererFile {
  /** The file's bytes (null when only measured, for HEAD); the caller must handle its 'error' event. */
  stream: Readable | null;
  size: number;
  contentType: string;
}

const roots = new Map<string, string>();

function realRoot(rendererDir: string): string {
  let root = roots.get(rendererDir);
  if (!root) roots.set(rendererDir, (root = fs.realpathSync(path.resolve(rendererDir))));
  return root;
}

async function openInside(root: string, file: string, head: boolean): Promise<RendererFile | null> {
  const real = await fs.promises.realpath(file).catch(() => null);
  if (!real || !real.startsWith(root + path.sep)) return null;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(real, 'r');
  } catch {
    return null;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) { await handle.close(); return null; }
    const contentType = MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
    if (head || stat.size === 0) {
      await handle.close();
      return { stream: head ? null : Readable.from([]), size: stat.size, contentType };
    }
    // no more than the size measured, should the file grow while it is read
    return { stream: handle.createReadStream({ autoClose: true, start: 0, end: stat.size - 1 }), size: stat.size, contentType };
  } catch {
    await handle.close().catch(() => undefined);
    return null;
  }
}

/**
 * Opens the renderer file a decoded URL path names (see target.ts decodePath); null when there is
 * none. With `head`, the file is measured but not read (`stream` is null).
 */
export async function openRendererFile(rendererDir: string, decodedPath: string, head = false): Promise<RendererFile | null> {
  const root = realRoot(rendererDir);
  const relative = decodedPath.replace(/^\/+/, '');
  const file = path.resolve(root, relative || 'index.html');
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  const found = await openInside(root, file, head);
  if (found) return found;
  return path.extname(relative) ? null : openInside(root, path.join(root, 'index.html'), head);
}
