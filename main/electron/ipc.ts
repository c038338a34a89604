// The Electron IPC transport: one ipcMain.handle channel per operation of the contract, each
// checking that the sender is the station's own page before dispatching; events are forwarded to
// the window. Replies are envelopes, so nothing thrown in main reaches the renderer as an exception.
//
// The renderer is untrusted, so `importPaths` reads only paths the user chose for that window: the
// results of the file dialog (`pickImportPaths`) and the Files dropped or picked in the page, whose
// paths the preload reports on GRANT_FILES_CHANNEL (path-grants.ts). `resumeImport` re-imports
// paths that main recorded itself and needs no grant.
//
// No runtime import of 'electron': main.ts passes ipcMain and dialog in, so that the tests drive
// the transport under Node with stand-ins.

import type { BrowserWindow, Dialog, IpcMain, IpcMainInvokeEvent, OpenDialogOptions } from 'electron';
import type { ApiEvents, ApiHandlers } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import type { EventName } from '../../common/api-names.ts';
import { EVENT_NAMES, OPERATION_NAMES, ipcChannel } from '../../common/api-names.ts';
import { dispatch } from '../transport/dispatch.ts';
import { GRANT_FILES_CHANNEL, MAX_GRANT_PATHS, PATH_NOT_GRANTED, PathGrants } from './path-grants.ts';
import { isStationUrl } from './security.ts';

export interface IpcElectron {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  dialog: Pick<Dialog, 'showOpenDialog'>;
}

/** What the transport needs of the service: its handlers and its events. */
export interface IpcService {
  readonly handlers: ApiHandlers;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

const NOT_FROM_STATION = 'Refused: the request did not come from the station page';

function fromStation(event: IpcMainInvokeEvent): boolean {
  return !!event.senderFrame && isStationUrl(event.senderFrame.url);
}

export function registerIpc(
  electron: IpcElectron,
  service: IpcService,
  window: () => BrowserWindow | null,
  grants: PathGrants = new PathGrants(),
): () => void {
  const { ipcMain, dialog } = electron;
  // Grants live as long as the window's webContents.
  const watched = new Set<number>();
  const owner = (event: IpcMainInvokeEvent): number => {
    const id = event.sender.id;
    if (!watched.has(id)) {
      watched.add(id);
      event.sender.once('destroyed', () => { grants.revoke(id); watched.delete(id); });
    }
    return id;
  };

  const handlersFor = (event: IpcMainInvokeEvent): ApiHandlers => ({
    ...service.handlers,
    appInfo: async (input) => ({ ...(await service.handlers.appInfo(input)), transport: 'electron-ipc' }),
    pickImportPaths: async ({ kind }) => {
      const win = window();
      const options: OpenDialogOptions = { properties: kind === 'folder' ? ['openDirectory', 'multiSelections'] : ['openFile', 'multiSelections'] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? [] : grants.grant(owner(event), result.filePaths);
    },
    importPaths: async (input) => {
      if (!grants.allowsAll(owner(event), input.paths)) throw new ApiError('unauthorized', PATH_NOT_GRANTED);
      return service.handlers.importPaths(input);
    },
  });

  for (const name of OPERATION_NAMES) {
    ipcMain.handle(ipcChannel.operation(name), (event: IpcMainInvokeEvent, input: unknown) => {
      if (!fromStation(event)) return { ok: false, error: { code: 'unauthorized', message: NOT_FROM_STATION } };
      return dispatch(handlersFor(event), name, input);
    });
  }

  // The preload computes these paths itself (webUtils.getPathForFile of Files the user dropped or
  // picked); the page cannot send on this channel, only hand Files to the bridge.
  ipcMain.handle(GRANT_FILES_CHANNEL, (event: IpcMainInvokeEvent, paths: unknown): string[] => {
    if (!fromStation(event) || !Array.isArray(paths)) return [];
    return grants.grant(owner(event), paths.slice(0, MAX_GRANT_PATHS));
  });

  const unsubscribe = EVENT_NAMES.map((name) => service.on(name, (payload) => {
    const win = window();
    if (win && !win.isDestroyed()) win.webContents.send(ipcChannel.event(name), payload);
  }));
  return () => {
    for (const name of OPERATION_NAMES) ipcMain.removeHandler(ipcChannel.operation(name));
    ipcMain.removeHandler(GRANT_FILES_CHANNEL);
    unsubscribe.forEach((u) => u());
  };
}
