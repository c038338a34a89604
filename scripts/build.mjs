// Builds what the application runs: the renderer (Vite) into app/dist/renderer, and the Electron
// main process and preload (esbuild) into app/dist. Native modules stay external: the packaged app
// loads them from app/node_modules, built for Electron's ABI; the root node_modules keeps the Node
// builds that the tests and the command line use.
import { build as viteBuild } from 'vite';
import { build as esbuild } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const rendererOnly = process.argv.includes('--renderer-only');
const started = performance.now();

await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });

if (!rendererOnly) {
  const appPackage = JSON.parse(fs.readFileSync(path.join(root, 'app', 'package.json'), 'utf8'));
  const common = {
    bundle: true, platform: 'node', format: 'cjs', target: 'node22', sourcemap: true, logLevel: 'warning',
    // esbuild is loaded only when running from the sources (main/workers/source-entry.ts), never in the app
    external: ['electron', 'esbuild', ...Object.keys(appPackage.dependencies ?? {})],
  };
  await esbuild({ ...common, entryPoints: [path.join(root, 'main/electron/main.ts')], outfile: path.join(root, 'app/dist/main.cjs'),
    define: { 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename', 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" } });
  await esbuild({ ...common, entryPoints: [path.join(root, 'main/electron/preload.preload.ts')], outfile: path.join(root, 'app/dist/preload.cjs') });
  // every worker thread's entry (main/**/*.worker.ts) and child process's (main/**/*.process.ts), beside
  // main.cjs where the worker pool (and model-check-process.ts) look for them
  const workerDefine = { define: { 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename', 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" } };
  const workers = fs.readdirSync(path.join(root, 'main'), { recursive: true }).map(String).filter((f) => f.endsWith('.worker.ts') || f.endsWith('.process.ts'));
  for (const worker of workers) {
    await esbuild({ ...common, ...workerDefine, entryPoints: [path.join(root, 'main', worker)],
      outfile: path.join(root, 'app/dist', path.basename(worker).replace(/\.ts$/, '.cjs')) });
  }
}
console.log(`built ${rendererOnly ? 'renderer' : 'renderer, main and preload'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
