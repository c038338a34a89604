// The Electron IPC transport (main/electron/ipc.ts) under Node, with stand-ins for ipcMain, the file
// dialog, the sender's webContents and the service: the sender is checked, and `importPaths` reads
// only paths the user chose for that window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { ApiHandlers } from '../../common/api.ts';
import { OPERATION_NAMES, ipcChannel } from '../../common/api-names.ts';
import type { IpcElectron, IpcService } from '../../main/electron/ipc.ts';
import { registerIpc } from '../../main/electron/ipc.ts';
import { GRANT_FILES_CHANNEL, PATH_NOT_GRANTED } from '../../main/electron/path-grants.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';

type Listener = (event: unknown, input: unknown) => unknown;

class FakeWebContents extends EventEmitter {
  constructor(readonly id: number) { super(); }
}

function setup(dialogAnswer: string[] = []) {
  const channels = new Map<string, Listener>();
  const ipcMain = {
    handle: (channel: string, listener: Listener) => {
      assert.ok(!channels.has(channel), `one handler per channel (${channel})`);
      channels.set(channel, listener);
    },
    removeHandler: (channel: string) => { channels.delete(channel); },
  };
  const dialog = { showOpenDialog: async () => ({ canceled: dialogAnswer.length === 0, filePaths: dialogAnswer }) };
  const imported: string[][] = [];
  const resumed: number[] = [];
  const handlers = {
    appInfo: async () => ({ transport: 'service' }),
    importPaths: async ({ paths }: { paths: string[] }) => { imported.push(paths); return { imported: paths.length }; },
    resumeImport: async ({ jobId }: { jobId: number }) => { resumed.push(jobId); return { imported: 0 }; },
  } as unknown as ApiHandlers;
  const service: IpcService = { handlers, on: () => () => {} };
  const dispose = registerIpc({ ipcMain, dialog } as unknown as IpcElectron, service, () => null);
  const invoke = (channel: string, sender: FakeWebContents, input: unknown, url = 'binome://station/index.html') => {
    const listener = channels.get(channel);
    assert.ok(listener, `a handler on ${channel}`);
    return Promise.resolve(listener({ sender, senderFrame: { url } }, input));
  };
  const op = (name: string, sender: FakeWebContents, input: unknown, url?: string) =>
    invoke(ipcChannel.operation(name as never), sender, input, url) as Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>;
  return { channels, imported, resumed, dispose, invoke, op };
}

function folder() {
  const root = fs.realpathSync(tempDir('ipc'));
  fs.mkdirSync(path.join(root, 'chosen'));
  fs.mkdirSync(path.join(root, 'other'));
  fs.writeFileSync(path.join(root, 'chosen', 'a.dcm'), 'x');
  fs.writeFileSync(path.join(root, 'other', 'secret.dcm'), 'x');
  return root;
}

test('a channel per operation and one for grants; all removed on dispose', () => {
  const ipc = setup();
  assert.deepEqual([...ipc.channels.keys()].sort(), [...OPERATION_NAMES.map((n) => ipcChannel.operation(n)), GRANT_FILES_CHANNEL].sort());
  ipc.dispose();
  assert.equal(ipc.channels.size, 0);
});

test('importPaths refuses a path the user did not choose, with one message whether or not it exists', async () => {
  const root = folder();
  const ipc = setup();
  const window = new FakeWebContents(1);
  const existing = await ipc.op('importPaths', window, { paths: [path.join(root, 'other', 'secret.dcm')] });
  const missing = await ipc.op('importPaths', window, { paths: [path.join(root, 'other', 'no-such.dcm')] });
  assert.deepEqual(existing, { ok: false, error: { code: 'unauthorized', message: PATH_NOT_GRANTED } });
  assert.deepEqual(missing, existing);
  assert.doesNotMatch(PATH_NOT_GRANTED, /exist|found/i);
  assert.deepEqual(ipc.imported, [], 'the service never saw the request');
  // the input is still validated first
  const bad = await ipc.op('importPaths', window, { paths: 'x' });
  assert.equal(bad.error?.code, 'bad_request');
});

test('paths picked in the dialog are granted to that window, and what lies under them', async () => {
  const root = folder();
  const chosen = path.join(root, 'chosen');
  const ipc = setup([chosen]);
  const window = new FakeWebContents(1);
  const picked = await ipc.op('pickImportPaths', window, { kind: 'folder' });
  assert.deepEqual(picked, { ok: true, value: [chosen] });
  assert.equal((await ipc.op('importPaths', window, { paths: [path.join(chosen, 'a.dcm')] })).ok, true);
  assert.equal((await ipc.op('importPaths', window, { paths: [chosen] })).ok, true);
  assert.deepEqual(ipc.imported, [[path.join(chosen, 'a.dcm')], [chosen]]);
  const escape = await ipc.op('importPaths', window, { paths: [path.join(chosen, 'a.dcm'), `${chosen}${path.sep}..${path.sep}other${path.sep}secret.dcm`] });
  assert.equal(escape.error?.code, 'unauthorized', 'one path outside refuses the whole request');
  const otherWindow = new FakeWebContents(2);
  assert.equal((await ipc.op('importPaths', otherWindow, { paths: [chosen] })).error?.code, 'unauthorized', 'grants belong to one window');
  window.emit('destroyed');
  assert.equal((await ipc.op('importPaths', window, { paths: [chosen] })).error?.code, 'unauthorized', 'grants end with the window');
});

test('a cancelled dialog grants nothing', async () => {
  const root = folder();
  const ipc = setup([]);
  const window = new FakeWebContents(1);
  assert.deepEqual(await ipc.op('pickImportPaths', window, { kind: 'files' }), { ok: true, value: [] });
  assert.equal((await ipc.op('importPaths', window, { paths: [path.join(root, 'chosen')] })).error?.code, 'unauthorized');
});

test('files reported by the preload are granted; only from the station page', async () => {
  const root = folder();
  const file = path.join(root, 'chosen', 'a.dcm');
  const ipc = setup();
  const window = new FakeWebContents(1);
  assert.deepEqual(await ipc.invoke(GRANT_FILES_CHANNEL, window, [file], 'https://evil.example/'), [], 'a foreign frame grants nothing');
  assert.equal((await ipc.op('importPaths', window, { paths: [file] })).error?.code, 'unauthorized');
  assert.deepEqual(await ipc.invoke(GRANT_FILES_CHANNEL, window, 'not a list'), []);
  assert.deepEqual(await ipc.invoke(GRANT_FILES_CHANNEL, window, [file, 'relative.dcm', 3]), [file]);
  assert.equal((await ipc.op('importPaths', window, { paths: [file] })).ok, true);
  assert.equal((await ipc.op('importPaths', window, { paths: [path.join(root, 'chosen')] })).error?.code, 'unauthorized', 'a granted file does not grant its folder');
});

test('every operation checks its sender; resumeImport needs no grant', async () => {
  const ipc = setup();
  const window = new FakeWebContents(1);
  const foreign = await ipc.op('appInfo', window, {}, 'https://evil.example/');
  assert.equal(foreign.error?.code, 'unauthorized');
  assert.equal((await ipc.op('appInfo', window, {}, 'binome://station.evil/')).error?.code, 'unauthorized');
  assert.deepEqual(await ipc.op('appInfo', window, {}), { ok: true, value: { transport: 'electron-ipc' } });
  assert.deepEqual(await ipc.op('resumeImport', window, { jobId: 4 }), { ok: true, value: { imported: 0 } });
  assert.deepEqual(ipc.resumed, [4]);
});

test('the preload sends grants on the channel main listens to', () => {
  const preload = fs.readFileSync(path.join(ROOT, 'main', 'electron', 'preload.preload.ts'), 'utf8');
  // both sides take the channel's name from common/api-names.ts
  assert.match(preload, /ipcRenderer\.invoke\(ipcChannel\.grantFiles,/);
  assert.equal(ipcChannel.grantFiles, GRANT_FILES_CHANNEL);
  assert.match(preload, /webUtils\.getPathForFile/);
  assert.doesNotMatch(preload, /exposeInMainWorld\([^)]*ipcRenderer/, 'ipcRenderer itself is never exposed');
});
