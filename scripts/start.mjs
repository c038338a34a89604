// npm start: builds the application and opens it in Electron on the default library (created in
// the user's data folder on first start). Where the Electron binary is missing, says so and names
// the command that serves the same station on loopback instead.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findElectronBinary } from './electron-binary.mjs';

const root = path.resolve(import.meta.dirname, '..');
const electron = findElectronBinary();
if (!electron) {
  console.error('The Electron binary is not installed here (node_modules/electron/dist is missing and cannot be downloaded offline), so the desktop window cannot open; run "npm run serve" to serve the same station on http://127.0.0.1 and open the URL it prints.');
  process.exit(1);
}

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);

// The app folder's native modules must be built for Electron's ABI, never Node's: electron-builder
// installs and rebuilds them under app/node_modules (the root node_modules stays Node's).
if (!fs.existsSync(path.join(root, 'app', 'node_modules', 'better-sqlite3'))) {
  const deps = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-builder', 'cli.js'), 'install-app-deps'], { stdio: 'inherit', cwd: root });
  if (deps.status !== 0) {
    console.error('Could not build the native modules for Electron (electron-builder install-app-deps failed; it needs to download Electron headers once).');
    process.exit(1);
  }
}

const child = spawn(electron, [path.join(root, 'app')], { stdio: 'inherit', cwd: root });
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
