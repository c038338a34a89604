// The Electron main process: one window on the station, a single-instance lock, the binome://
// protocol, the IPC transport, and a clean shutdown that lets imports reach a batch boundary and
// closes the database before the process exits.

import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { ELECTRON_ORIGIN } from '../../common/api.ts';
import { StationService } from '../service/station.ts';
import { errorForLog, log, warnIfLogLevelUnknown } from '../base/log.ts';
import { LibraryOpenError } from '../base/library-open-error.ts';
import { translate } from '../../common/i18n/messages.ts';
import type { Locale } from '../../common/domain.ts';
import { endIfTasksLeft } from '../service/end-process.ts';
import { handleStationProtocol, registerSchemePrivileges } from './protocol.ts';
import { hardenSessions, secureWebPreferences } from './security.ts';
import { registerIpc } from './ipc.ts';
import { utilityChild } from './utility-child.ts';

// The bundle lives in app/dist/; the renderer beside it.
const DIST = __dirname;
let mainWindow: BrowserWindow | null = null;
let service: StationService | null = null;
let quitting = false;

process.on('uncaughtException', (error) => log.error(`uncaught: ${errorForLog(error)}`));
process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${errorForLog(reason)}`));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerSchemePrivileges();
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.whenReady().then(start).catch((error: Error) => {
    // in the system's language where the station says it (a full or read-only disk); the library's
    // own language setting cannot be read from a library that did not open
    const locale: Locale = app.getLocale().toLowerCase().startsWith('fr') ? 'fr' : 'en';
    dialog.showErrorBox(translate(locale, 'error.startFailed'), error instanceof LibraryOpenError ? translate(locale, error.key, error.params) : error.message);
    app.exit(1);
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1600,
    height: 1000,
    // below this the 4-up leaves each image a thumbnail and the panels cover it (a window dragged
    // down to 420 × 320 showed no image at all); a 1366 × 768 laptop at 125 % still fits
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#0b0d10',
    title: 'Binome',
    show: false,
    webPreferences: secureWebPreferences(path.join(DIST, 'preload.cjs')),
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => { if (mainWindow === win) mainWindow = null; });
  void win.loadURL(`${ELECTRON_ORIGIN}/index.html`);
  return win;
}

async function start(): Promise<void> {
  warnIfLogLevelUnknown();
  hardenSessions(app, session.defaultSession);
  const libraryDir = process.env.BINOME_LIBRARY || path.join(app.getPath('userData'), 'library');
  // models shipped with the application (extraResources when packaged, the repository's models/ otherwise) and the library's own
  const bundledModels = app.isPackaged ? path.join(process.resourcesPath, 'models') : path.join(DIST, '..', '..', 'models');
  service = new StationService({ libraryDir, version: app.getVersion(), runtime: `electron ${process.versions.electron}`,
    ai: { modelRoots: [bundledModels, path.join(libraryDir, 'models')], startCheckChild: utilityChild }, receiver: {}, pacs: {} });
  // the DICOM receiver as the library's settings say; a taken port shows in its panel, never stops the app
  void service.startReceiver().catch((error: unknown) => log.error(`DICOM receiver: ${errorForLog(error)}`));
  // the library taken over by another computer while this one slept: said once, in a dialog, and the
  // app ends (every call would answer "unavailable"; the station has already stopped writing)
  void service.taken.then((host) => {
    const locale: Locale = app.getLocale().toLowerCase().startsWith('fr') ? 'fr' : 'en';
    dialog.showErrorBox(translate(locale, 'error.libraryTakenTitle'), translate(locale, 'error.libraryTakenElsewhere', { host }));
    app.quit();
  });
  handleStationProtocol(service, path.join(DIST, 'renderer'));
  registerIpc({ ipcMain, dialog }, service, () => mainWindow);
  mainWindow = createWindow();
  app.on('activate', () => { if (!mainWindow) mainWindow = createWindow(); });
}

app.on('window-all-closed', () => app.quit());

app.on('before-quit', (event) => {
  if (quitting || !service) return;
  event.preventDefault();
  quitting = true;
  service.close()
    .catch((error: Error) => log.error(`shutdown: ${error.message}`))
    // a model run still going after the close's 15 s (a slow model on the CPU): Electron's exit would
    // stop its thread inside session.run, and onnxruntime aborts the process (a core dump, the
    // system's crash report) as it did `serve`'s. Ended by SIGKILL instead, everything else closed:
    // SIGTERM is Chromium's graceful quit here, the very exit path (not run here: no Electron binary)
    .then(() => endIfTasksLeft(() => process.kill(process.pid, 'SIGKILL')))
    .finally(() => app.quit());
});
