// Worker entries run from the TypeScript sources (the command line and the tests; the packaged app
// starts the *.worker.cjs files its build wrote). A thread that loaded TypeScript through tsx took
// about 0.8 s to start here, which every `binome import` paid; bundling the entry once with esbuild
// (the compiler tsx itself runs on) takes about 60 ms and the thread then starts in under 0.1 s.
// npm packages stay outside the bundle, resolved from the repository's node_modules at run time, so
// native ones (better-sqlite3, onnxruntime-node) load as they are.

import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const bundles = new Map<string, Promise<string>>();

/** The folder a source tree's worker bundles are written to (inside its node_modules, where their packages resolve). */
function cacheDir(entry: string): string {
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'node_modules'))) return path.join(dir, 'node_modules', '.cache', 'binome-workers');
    if (path.dirname(dir) === dir) throw new Error(`no node_modules above ${entry}`);
  }
}

/** Bundles a worker entry (a .ts file) into a CommonJS file and returns its path; once per process and entry. */
export function bundleWorkerEntry(entry: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = (async () => {
      const { build } = await import('esbuild');
      const result = await build({
        entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false,
        packages: 'external', logLevel: 'silent', sourcemap: 'inline',
        define: { 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename', 'import.meta.url': 'importMetaUrl' },
        banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
      });
      const code = result.outputFiles[0]!.contents;
      // named by content: processes bundling the same sources at once write the same file, atomically
      const dir = cacheDir(entry);
      const file = path.join(dir, `${path.basename(entry, '.ts')}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
      if (!fs.existsSync(file)) {
        fs.mkdirSync(dir, { recursive: true });
        const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
        fs.writeFileSync(tmp, code);
        fs.renameSync(tmp, file);
      }
      return file;
    })();
    bundles.set(entry, bundle);
    bundle.catch(() => bundles.delete(entry));
  }
  return bundle;
}
