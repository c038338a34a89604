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
    assert.deepEqual(isolation, { require: 'undefined', process: 'undefined', bridge: ['api', 'on', 'pathForFile'] });
    const info = await page.evaluate(async () => (window as unknown as { binome: { api: { appInfo(i: object): Promise<{ ok: boolean; value: { transport: string; libraryDir: string } }> } } }).binome.api.appInfo({}));
    assert.equal(info.value.transport, 'electron-ipc');
    const bad = await page.evaluate(async () => (window as unknown as { binome: { api: { examDetail(i: object): Promise<unknown> } } }).binome.api.examDetail({ examId: 'x' }));
    assert.equal((bad as { error: { code: string } }).error.code, 'bad_request');
    const file = path.join(SHARED_DICOM, 'fo-dicom', 'GH133.dcm');
    await page.evaluate(async (p) => (window as unknown as { binome: { api: { importPaths(i: object): Promise<unknown> } } }).binome.api.importPaths({ paths: [p] }), file);
    await page.waitForSelector('[data-testid=exam-row]');
    await page.click('[data-testid=exam-row]');
    await page.waitForSelector('[data-testid=viewport][data-rendered=true]', { timeout: 60_000 });
    // navigation away from the station is blocked
    await page.evaluate(() => { location.href = 'https://example.org/'; });
    await page.waitForTimeout(300);
    assert.match(page.url(), /^binome:\/\/station\//);
  } finally {
    await app.close();
  }
});
