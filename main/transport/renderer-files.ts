// Resolving a request path to a file of the built renderer, shared by the loopback host and the
// Electron protocol: paths may not leave the renderer folder, and unknown paths (client-side
// routes) get index.html.

import fs from 'node:fs';
import path from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json',
};

/** The file to serve for a URL path and its content type, or null when the path escapes the folder. */
export function rendererFile(rendererDir: string, pathname: string): { file: string; contentType: string } | null {
  const root = path.resolve(rendererDir);
  let file = path.resolve(root, decodeURIComponent(pathname).replace(/^\/+/, '') || 'index.html');
  if (!file.startsWith(root + path.sep)) return null;
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) file = path.join(root, 'index.html');
  return { file, contentType: MIME[path.extname(file)] ?? 'application/octet-stream' };
}
