// The preload: exposes the API contract on window.binome and nothing else (no ipcRenderer, no Node).
// One function per operation and a subscription per event, all derived from common/api.ts.

import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { PreloadBridge } from '../../common/api.ts';
import type { EventName } from '../../common/api-names.ts';
import { EVENT_NAMES, OPERATION_NAMES, ipcChannel } from '../../common/api-names.ts';

const api = Object.fromEntries(
  OPERATION_NAMES.map((name) => [name, (input: unknown) => ipcRenderer.invoke(ipcChannel.operation(name), input)]),
) as PreloadBridge['api'];

const bridge: PreloadBridge = {
  api,
  on(event: EventName, listener: (payload: unknown) => void) {
    if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event: ${String(event)}`);
    const wrapped = (_e: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(ipcChannel.event(event), wrapped);
    return () => { ipcRenderer.removeListener(ipcChannel.event(event), wrapped); };
  },
  pathForFile(file: unknown) {
    return webUtils.getPathForFile(file as File);
  },
};

contextBridge.exposeInMainWorld('binome', bridge);
