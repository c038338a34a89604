// The desktop application itself, through Playwright's Electron driver. It runs wherever the
// Electron binary is installed; on machines without it (it cannot be downloaded offline) it skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { findElectronBinary } from '../../scripts/electron-binary.mjs';
import { ROOT, SHARED_DICOM, SKIP_NO_SHARED, tempDir } from '../helpers/paths.ts';

const ELECTRON = findElectronBinary();
const BUILT = fs.existsSync(path.join(ROOT, 'app', 'dist', 'main.cjs')) && fs.existsSync(path.join(ROOT, 'app', 'node_modules', 'better-sqlite3'));
const SKIP = !ELECTRON
  ? 'the Electron binary is not installed (node_modules/electron/dist is missing; it cannot be downloaded on this machine)'
  : !BUILT ? 'the Electron app is not built (run "npm start" once: it builds app/dist and the Electron build of the native modules)'
  : SKIP_NO_SHARED;

test('the desktop window opens the station, exposes only the contract, imports and lists an exam', { skip: SKIP }, async () => {
  const library = tempDir('electron');
  const app = await _electron.launch({ executablePath: ELECTRON!, args: [path.join(ROOT, 'app')], env: { ...process.env, BINOME_LIBRARY: library } });
  try {
    const page = await app.firstWindow();
    await page.waitForSelector('[data-testid=worklist]');
    const isolation = await page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      bridge: Object.keys((window as unknown as { binome: object }).binome).sort(),
    }));
    assert.deepEqual(isolation, { require: 'undefined', process: 'undefined', bridge: ['api', 'grantFiles', 'on'] });
    const info = await page.evaluate(async () => (window as unknown as { binome: { api: { appInfo(i: object): Promise<{ ok: boolean; value: { transport: string; libraryDir: string } }> } } }).binome.api.appInfo({}));
    assert.equal(info.value.transport, 'electron-ipc');
    const bad = await page.evaluate(async () => (window as unknown as { binome: { api: { examDetail(i: object): Promise<unknown> } } }).binome.api.examDetail({ examId: 'x' }));
    assert.equal((bad as { error: { code: string } }).error.code, 'bad_request');

    // The page cannot import a path the user did not choose, and cannot tell whether it exists.
    const file = path.join(SHARED_DICOM, 'fo-dicom', 'GH133.dcm');
    type Bridge = { binome: { api: { importPaths(i: object): Promise<{ ok: boolean; error?: { code: string; message: string } }> }; grantFiles(files: File[]): Promise<string[]> } };
    const refused = await page.evaluate(async (paths) => Promise.all(paths.map((p) => (window as unknown as Bridge).binome.api.importPaths({ paths: [p] }))),
      [file, path.join(SHARED_DICOM, 'fo-dicom', 'no-such-file.dcm')]);
    assert.equal(refused[0]!.error?.code, 'unauthorized');
    assert.deepEqual(refused[1], refused[0], 'the same answer for an existing and a missing path');
    // a File built in JavaScript has no path, so it grants nothing
    assert.deepEqual(await page.evaluate(async () => (window as unknown as Bridge).binome.grantFiles([new File(['x'], '/etc/passwd')])), []);
    // a File the user picked is granted, then imported by path
    await page.evaluate(() => { const input = document.createElement('input'); input.type = 'file'; input.id = 'e2e-pick'; input.hidden = true; document.body.append(input); });
    await page.setInputFiles('#e2e-pick', file);
    const granted = await page.evaluate(async () => (window as unknown as Bridge).binome.grantFiles([...(document.querySelector<HTMLInputElement>('#e2e-pick')!.files ?? [])]));
    assert.equal(granted.length, 1);
    assert.equal(path.basename(granted[0]!), 'GH133.dcm');
    const imported = await page.evaluate(async (paths) => (window as unknown as Bridge).binome.api.importPaths({ paths }), granted);
    assert.equal(imported.ok, true, JSON.stringify(imported));
    await page.waitForSelector('[data-testid=exam-row]');
    await page.click('[data-testid=exam-row]');
    await page.waitForSelector('[data-testid=viewport][data-rendered=true]', { timeout: 60_000 });
    // new windows are denied, and navigation away from the station is blocked
    assert.equal(await page.evaluate(() => window.open('https://example.org/') === null), true);
    assert.equal(app.windows().length, 1);
    await page.evaluate(() => { location.href = 'https://example.org/'; });
    await page.waitForTimeout(300);
    assert.match(page.url(), /^binome:\/\/station\//);
    // the same for a frame inside the page (will-frame-navigate); the CSP may also refuse the frame
    await page.evaluate(() => { const f = document.createElement('iframe'); f.name = 'e2e-frame'; document.body.append(f); window.open('https://example.org/', 'e2e-frame'); });
    await page.waitForTimeout(300);
    assert.ok(page.frames().every((f) => !f.url().startsWith('https://')), page.frames().map((f) => f.url()).join(', '));
  } finally {
    await app.close();
  }
});
