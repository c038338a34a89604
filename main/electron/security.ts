// Electron hardening in one place (Electron's security checklist): isolated, sandboxed renderers
// without Node; every permission, navigation and new window denied; the CSP on every response.

import { app, session } from 'electron';
import type { WebContents, WebPreferences } from 'electron';
import { ELECTRON_ORIGIN } from '../../common/api.ts';

export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    navigateOnDragDrop: false,
  };
}

/** True for URLs of the station's own origin (the renderer and its images). */
export function isStationUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === ELECTRON_ORIGIN;
  } catch {
    return false;
  }
}

export function hardenSessions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => { if (!isStationUrl(url)) event.preventDefault(); });
    contents.on('will-redirect', (event, url) => { if (!isStationUrl(url)) event.preventDefault(); });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}
