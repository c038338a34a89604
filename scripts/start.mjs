// npm start: builds the application and opens it in Electron on the default library (created in
// the user's data folder on first start; BINOME_LIBRARY=<dir> picks another). Where the Electron
// binary is missing, says why in one sentence and serves the same station on loopback instead,
// exactly as `npm run serve` does (renderer build, then `binome serve`), and opens its URL in the
// desktop's browser (BINOME_NO_BROWSER=1 does not). Extra arguments go to the server
// (`npm start -- --port 8080`). BINOME_SKIP_BUILD=1 skips the renderer build when it is already built.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findElectronBinary } from './electron-binary.mjs';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);

/** The one sentence printed when the desktop window cannot open. */
const NO_ELECTRON_MESSAGE = 'The desktop window cannot open because the Electron binary is not installed here (the electron package downloads it on install, which needs the internet), so Binome serves the same station on http://127.0.0.1 instead: open the URL printed below in Chromium or Chrome.';

const electron = findElectronBinary();
if (electron) startElectron(electron);
else serveOnLoopback();

function startElectron(binary) {
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

  const child = spawn(binary, [path.join(root, 'app')], { stdio: 'inherit', cwd: root });
  child.on('exit', (code, signal) => process.exit(code ?? exitCodeFor(signal)));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
}

/** Where a browser can be opened: a desktop session on Linux and the like, always on macOS and Windows. */
function hasDesktop() {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function exitCodeFor(signal) {
  const numbers = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 };
  return signal ? 128 + (numbers[signal] ?? 0) : 1;
}

function openInBrowser(url) {
  const [command, commandArgs, options] =
    process.platform === 'darwin' ? ['open', [url], {}]
    : process.platform === 'win32' ? ['cmd', ['/d', '/s', '/c', `start "" "${url}"`], { windowsVerbatimArguments: true }]
    : ['xdg-open', [url], {}];
  const fail = (why) => console.error(`Could not open a browser (${why}); open the URL above yourself.`);
  try {
    // Its own process group: a Ctrl+C that stops the server must not close the browser.
    const opener = spawn(command, commandArgs, { ...options, stdio: 'ignore', detached: true });
    opener.on('error', (error) => fail(error.code === 'ENOENT' ? `${command} is not installed` : error.message));
    opener.on('exit', (code) => { if (code) fail(`${command} exited with code ${code}`); });
    opener.unref();
  } catch (error) {
    fail(error.message);
  }
}

function serveOnLoopback() {
  console.error(NO_ELECTRON_MESSAGE);
  const noBrowser = process.env.BINOME_NO_BROWSER === '1';
  const willOpen = !noBrowser && hasDesktop();
  if (willOpen) console.error('It opens in your web browser once the server is up (BINOME_NO_BROWSER=1 stops that).');

  const built = fs.existsSync(path.join(root, 'app', 'dist', 'renderer', 'index.html'));
  if (process.env.BINOME_SKIP_BUILD === '1' && built) {
    console.error('BINOME_SKIP_BUILD=1: serving the renderer already built in app/dist/renderer.');
  } else {
    const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--renderer-only'], { stdio: 'inherit', cwd: root });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }

  // Same process group as this script, so that whoever stops the group stops the server too.
  const server = spawn(process.execPath, [path.join(root, 'bin', 'binome.js'), 'serve', ...args], { stdio: ['inherit', 'pipe', 'inherit'], cwd: root });
  let opened = false;
  let pending = '';
  server.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (opened || !willOpen) return;
    pending += chunk.toString('utf8');
    const url = pending.match(/^\s*(http:\/\/127\.0\.0\.1:\d+\/\S*)\s*$/m)?.[1];
    if (url) { opened = true; pending = ''; openInBrowser(url); }
    else if (pending.length > 65_536) pending = pending.slice(-4096);
  });
  server.on('error', (error) => { console.error(`Could not start the server: ${error.message}`); process.exit(1); });
  server.on('close', (code, signal) => process.exit(code ?? exitCodeFor(signal)));

  // A Ctrl+C in a terminal reaches the server directly as well (same process group), and npm
  // forwards it to this script once more: pass on one stop request, as SIGTERM, which the server
  // handles apart from SIGINT, so that no second SIGINT cuts its shutdown short. (On Windows the
  // console delivers Ctrl+C to the server itself, and kill() would end it at once.)
  let forwarded = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (forwarded || process.platform === 'win32') return;
      forwarded = true;
      server.kill('SIGTERM');
    });
  }
}
