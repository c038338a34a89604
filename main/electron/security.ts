// Electron hardening in one place (Electron's security checklist): isolated, sandboxed renderers
// without Node; every permission, device, screen capture, navigation away from the station, new
// window and webview denied; no request leaves the machine from a page. The CSP goes on every
// response of the binome:// protocol (protocol.ts).
//
// No runtime import of 'electron': main.ts passes `app` and the default session in, so that the
// tests drive these handlers under Node with stand-ins.

import type { App, Session, WebContents, WebPreferences } from 'electron';
import { ELECTRON_ORIGIN } from '../../common/api-names.ts';

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
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
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

/** Schemes on which a page's request would leave the station (or read the disk): all refused. */
const BLOCKED_REQUEST_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:']);

export function isBlockedRequest(url: string): boolean {
  try {
    return BLOCKED_REQUEST_SCHEMES.has(new URL(url).protocol);
  } catch {
    return true;
  }
}

export type HardenableApp = Pick<App, 'on'>;
export type HardenableSession = Pick<Session,
  | 'on' | 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'
  | 'setDisplayMediaRequestHandler' | 'setBluetoothPairingHandler' | 'setSpellCheckerEnabled' | 'webRequest'>;
export type HardenableWebContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

const hardenedSessions = new WeakSet<object>();
const hardenedContents = new WeakSet<object>();

/** Denies, for one session, every permission, device, screen capture and outgoing request. */
export function hardenSession(session: HardenableSession): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  // WebHID, Web Serial, WebUSB: no device is ever permitted, and no chooser ever picks one.
  session.setDevicePermissionHandler(() => false);
  session.on('select-hid-device', (event, _details, callback) => { event.preventDefault(); callback(); });
  session.on('select-serial-port', (event, _ports, _contents, callback) => { event.preventDefault(); callback(''); });
  session.on('select-usb-device', (event, _details, callback) => { event.preventDefault(); callback(); });
  // getDisplayMedia: no screen, window or tab capture.
  session.setDisplayMediaRequestHandler((_request, callback) => callback(null));
  // Bluetooth pairing (Windows and Linux only; the method does not exist on macOS).
  if (typeof session.setBluetoothPairingHandler === 'function') {
    session.setBluetoothPairingHandler((_details, callback) => callback({ confirmed: false }));
  }
  // The spell checker downloads dictionaries: an offline station has none to fetch.
  session.setSpellCheckerEnabled(false);
  // Defence in depth behind the CSP: nothing a page asks for leaves the machine or reads a file.
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: isBlockedRequest(details.url) }));
}

/** Denies, for one webContents, navigation away from the station, new windows, webviews and Bluetooth choosers. */
export function hardenWebContents(contents: HardenableWebContents): void {
  if (hardenedContents.has(contents)) return;
  hardenedContents.add(contents);
  // any frame (main frame or subframe) navigating away from binome://station
  contents.on('will-frame-navigate', (details) => { if (!isStationUrl(details.url)) details.preventDefault(); });
  contents.on('will-navigate', (details) => { if (!isStationUrl(details.url)) details.preventDefault(); });
  contents.on('will-redirect', (details) => { if (!isStationUrl(details.url)) details.preventDefault(); });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // Without preventDefault Electron would pick the first device found.
  contents.on('select-bluetooth-device', (event, _devices, callback) => { event.preventDefault(); callback(''); });
}

/** Hardens the default session, every session created later, and every webContents. Call once the app is ready. */
export function hardenSessions(app: HardenableApp, defaultSession: HardenableSession): void {
  hardenSession(defaultSession);
  app.on('session-created', (session) => hardenSession(session));
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
}
