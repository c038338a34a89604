// Electron hardening (main/electron/security.ts), driven under Node with stand-ins for the app, its
// sessions and webContents: every handler is installed, and each one denies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { HardenableApp, HardenableSession } from '../../main/electron/security.ts';
import { hardenSessions, isBlockedRequest, isStationUrl, secureWebPreferences } from '../../main/electron/security.ts';

class FakeEvent {
  defaultPrevented = false;
  constructor(readonly url = '') {}
  preventDefault(): void { this.defaultPrevented = true; }
}

type Handler = (...args: never[]) => unknown;

class FakeSession extends EventEmitter {
  handlers = new Map<string, Handler>();
  spellChecker = true;
  webRequest = { onBeforeRequest: (listener: Handler) => { this.handlers.set('beforeRequest', listener); } };
  setPermissionRequestHandler(h: Handler) { this.handlers.set('permissionRequest', h); }
  setPermissionCheckHandler(h: Handler) { this.handlers.set('permissionCheck', h); }
  setDevicePermissionHandler(h: Handler) { this.handlers.set('devicePermission', h); }
  setDisplayMediaRequestHandler(h: Handler) { this.handlers.set('displayMedia', h); }
  setBluetoothPairingHandler(h: Handler) { this.handlers.set('bluetoothPairing', h); }
  setSpellCheckerEnabled(enabled: boolean) { this.spellChecker = enabled; }
  handler(name: string): (...args: unknown[]) => unknown {
    const h = this.handlers.get(name);
    assert.ok(h, `the ${name} handler is installed`);
    return h as (...args: unknown[]) => unknown;
  }
}

class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
  setWindowOpenHandler(h: (details: { url: string }) => unknown) { this.windowOpenHandler = h; }
}

/** Calls a handler that answers through a callback; returns what the callback got. */
function answer(invoke: (callback: (...args: unknown[]) => void) => void): unknown[] {
  let got: unknown[] | null = null;
  invoke((...args) => { got = args; });
  assert.ok(got, 'the callback was called');
  return got;
}

function harden() {
  const app = new EventEmitter();
  const session = new FakeSession();
  hardenSessions(app as unknown as HardenableApp, session as unknown as HardenableSession);
  const contents = new FakeWebContents();
  app.emit('web-contents-created', new FakeEvent(), contents);
  return { app, session, contents };
}

const PERMISSIONS = ['media', 'geolocation', 'notifications', 'clipboard-read', 'display-capture', 'hid', 'serial', 'usb', 'openExternal', 'fullscreen', 'pointerLock', 'fileSystem', 'unknown'];

test('the station origin is binome://station, nothing else', () => {
  assert.equal(isStationUrl('binome://station/index.html'), true);
  assert.equal(isStationUrl('binome://station/dicom/12'), true);
  for (const url of ['binome://station.evil/', 'binome://other/', 'https://station/', 'file:///etc/passwd', 'http://127.0.0.1:8080/', 'about:blank', 'javascript:alert(1)', 'not a url', '']) {
    assert.equal(isStationUrl(url), false, url);
  }
});

test('web preferences: isolated, sandboxed, without Node, webviews or navigation on drop', () => {
  const prefs = secureWebPreferences('/app/dist/preload.cjs');
  assert.equal(prefs.preload, '/app/dist/preload.cjs');
  for (const key of ['contextIsolation', 'sandbox', 'webSecurity', 'safeDialogs'] as const) assert.equal(prefs[key], true, key);
  for (const key of ['nodeIntegration', 'nodeIntegrationInWorker', 'nodeIntegrationInSubFrames', 'allowRunningInsecureContent', 'experimentalFeatures', 'webviewTag', 'navigateOnDragDrop'] as const) {
    assert.equal(prefs[key], false, key);
  }
});

test('any frame navigating away from the station is stopped; within the station it goes on', () => {
  const { contents } = harden();
  for (const event of ['will-frame-navigate', 'will-navigate', 'will-redirect']) {
    assert.equal(contents.listenerCount(event), 1, `${event} is handled`);
    for (const url of ['https://example.org/', 'http://127.0.0.1:9999/', 'file:///etc/passwd', 'binome://station.evil/index.html', 'binome://other/', 'data:text/html,<p>x', 'javascript:alert(1)']) {
      const e = new FakeEvent(url);
      contents.emit(event, e);
      assert.equal(e.defaultPrevented, true, `${event} to ${url} is prevented`);
    }
    for (const url of ['binome://station/index.html', 'binome://station/other.html?x=1']) {
      const e = new FakeEvent(url);
      contents.emit(event, e);
      assert.equal(e.defaultPrevented, false, `${event} to ${url} is allowed`);
    }
  }
});

test('new windows, webviews and Bluetooth choosers are denied', () => {
  const { contents } = harden();
  assert.ok(contents.windowOpenHandler, 'a window-open handler is installed');
  for (const url of ['https://example.org/', 'binome://station/index.html', 'about:blank']) {
    assert.deepEqual(contents.windowOpenHandler({ url }), { action: 'deny' }, url);
  }
  const webview = new FakeEvent();
  contents.emit('will-attach-webview', webview, {}, { src: 'binome://station/index.html' });
  assert.equal(webview.defaultPrevented, true);
  assert.equal(contents.listenerCount('select-bluetooth-device'), 1);
  const bluetooth = new FakeEvent();
  assert.deepEqual(answer((cb) => contents.emit('select-bluetooth-device', bluetooth, [{ deviceId: 'aa:bb', deviceName: 'scanner' }], cb)), ['']);
  assert.equal(bluetooth.defaultPrevented, true, 'without preventDefault Electron would pick the first device');
});

test('every permission request and check is denied, and every device', () => {
  const { session } = harden();
  for (const permission of PERMISSIONS) {
    assert.deepEqual(answer((cb) => session.handler('permissionRequest')(null, permission, cb, { requestingUrl: 'binome://station/index.html' })), [false], permission);
    assert.equal(session.handler('permissionCheck')(null, permission, 'binome://station', {}), false, permission);
  }
  for (const deviceType of ['hid', 'serial', 'usb']) {
    assert.equal(session.handler('devicePermission')({ deviceType, origin: 'binome://station', device: {} }), false, deviceType);
  }
});

test('device choosers get no device, screen capture gets no stream, pairing is refused', () => {
  const { session } = harden();
  for (const [event, args, expected] of [
    ['select-hid-device', [{ deviceList: [{ deviceId: 'hid-1' }] }], []],
    ['select-usb-device', [{ deviceList: [{ deviceId: 'usb-1' }] }], []],
    ['select-serial-port', [[{ portId: 'serial-1' }], {}], ['']],
  ] as const) {
    assert.equal(session.listenerCount(event), 1, `${event} is handled`);
    const e = new FakeEvent();
    const got = answer((cb) => session.emit(event, e, ...args, cb));
    assert.deepEqual(got.filter((x) => x !== undefined && x !== null), expected, `${event} selects nothing`);
    assert.equal(e.defaultPrevented, true, `${event} default prevented`);
  }
  assert.deepEqual(answer((cb) => session.handler('displayMedia')({ videoRequested: true, audioRequested: true }, cb)), [null]);
  assert.deepEqual(answer((cb) => session.handler('bluetoothPairing')({ deviceId: 'aa', pairingKind: 'confirm' }, cb)), [{ confirmed: false }]);
  assert.equal(session.spellChecker, false, 'no dictionary download');
});

test('no request from a page leaves the machine or reads a file; the station own requests pass', () => {
  const { session } = harden();
  for (const url of ['http://127.0.0.1:8080/api', 'https://example.org/x.js', 'ws://localhost:1/', 'wss://example.org/', 'ftp://example.org/', 'file:///etc/passwd']) {
    assert.deepEqual(answer((cb) => session.handler('beforeRequest')({ url }, cb)), [{ cancel: true }], url);
  }
  for (const url of ['binome://station/index.html', 'binome://station/dicom/3', 'data:image/png;base64,AA==', 'blob:binome://station/0b1c']) {
    assert.deepEqual(answer((cb) => session.handler('beforeRequest')({ url }, cb)), [{ cancel: false }], url);
  }
  assert.equal(isBlockedRequest('::not a url'), true);
});

test('sessions created later are hardened too, each session and webContents once', () => {
  const { app, session, contents } = harden();
  const later = new FakeSession();
  app.emit('session-created', later);
  assert.deepEqual([...later.handlers.keys()].sort(), [...session.handlers.keys()].sort());
  assert.equal(later.listenerCount('select-hid-device'), 1);
  app.emit('session-created', later);
  app.emit('web-contents-created', new FakeEvent(), contents);
  assert.equal(later.listenerCount('select-hid-device'), 1, 'not hardened twice');
  assert.equal(contents.listenerCount('will-frame-navigate'), 1, 'not hardened twice');
  // macOS has no setBluetoothPairingHandler: hardening still completes
  const mac = new FakeSession() as FakeSession & { setBluetoothPairingHandler?: unknown };
  Object.defineProperty(mac, 'setBluetoothPairingHandler', { value: undefined });
  app.emit('session-created', mac);
  assert.ok(mac.handlers.has('devicePermission') && mac.handlers.has('beforeRequest') && !mac.handlers.has('bluetoothPairing'));
});
