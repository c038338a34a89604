// The Electron IPC transport: one ipcMain.handle channel per operation of the contract, each
// checking that the sender is the station's own page before dispatching; events are forwarded to
// the window. Replies are envelopes, so nothing thrown in main reaches the renderer as an exception.

import { dialog, ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import type { ApiHandlers } from '../../common/api.ts';
import { EVENT_NAMES, OPERATION_NAMES, ipcChannel } from '../../common/api.ts';
import type { StationService } from '../service/station.ts';
import { dispatch } from '../transport/dispatch.ts';
import { isStationUrl } from './security.ts';

export function registerIpc(service: StationService, window: () => BrowserWindow | null): () => void {
  const handlers: ApiHandlers = {
    ...service.handlers,
    appInfo: async (input) => ({ ...(await service.handlers.appInfo(input)), transport: 'electron-ipc' }),
    pickImportPaths: async ({ kind }) => {
      const win = window();
      const options = { properties: kind === 'folder' ? ['openDirectory' as const, 'multiSelections' as const] : ['openFile' as const, 'multiSelections' as const] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? [] : result.filePaths;
    },
  };
  for (const name of OPERATION_NAMES) {
    ipcMain.handle(ipcChannel.operation(name), (event: IpcMainInvokeEvent, input: unknown) => {
      if (!event.senderFrame || !isStationUrl(event.senderFrame.url)) {
        return { ok: false, error: { code: 'unauthorized', message: 'Refused: the request did not come from the station page' } };
      }
      return dispatch(handlers, name, input);
    });
  }
  const unsubscribe = EVENT_NAMES.map((name) => service.on(name, (payload) => {
    const win = window();
    if (win && !win.isDestroyed()) win.webContents.send(ipcChannel.event(name), payload);
  }));
  return () => {
    for (const name of OPERATION_NAMES) ipcMain.removeHandler(ipcChannel.operation(name));
    unsubscribe.forEach((u) => u());
  };
}
