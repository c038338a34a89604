// The preload: exposes the API contract on window.binome and nothing else (no ipcRenderer, no Node).
// One function per operation and a subscription per event, all derived from common/api.ts, plus
// grantFiles: the page hands it Files the user dropped or picked, the preload reads their paths
// itself and tells main, which from then on lets `importPaths` read them. The page can never name
// a path on that channel (Files built in JavaScript have no path).

import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { PreloadBridge } from '../../common/api.ts';
import type { EventName } from '../../common/api-names.ts';
import { EVENT_NAMES, OPERATION_NAMES, ipcChannel } from '../../common/api-names.ts';

const MAX_FILES = 100_000;

const api = Object.fromEntries(
  OPERATION_NAMES.map((name) => [name, (input: unknown) => ipcRenderer.invoke(ipcChannel.operation(name), input)]),
) as PreloadBridge['api'];

function pathOf(file: unknown): string {
  try {
    return webUtils.getPathForFile(file as File);
  } catch {
    return '';
  }
}

const bridge: PreloadBridge = {
  api,
  on(event: EventName, listener: (payload: unknown) => void) {
    if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event: ${String(event)}`);
    const wrapped = (_e: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(ipcChannel.event(event), wrapped);
    return () => { ipcRenderer.removeListener(ipcChannel.event(event), wrapped); };
  },
  async grantFiles(files: readonly unknown[]) {
    if (!Array.isArray(files)) return [];
    const paths = files.slice(0, MAX_FILES).map(pathOf).filter((p) => p.length > 0);
    if (!paths.length) return [];
    return ipcRenderer.invoke(ipcChannel.grantFiles, paths) as Promise<string[]>;
  },
};

contextBridge.exposeInMainWorld('binome', bridge);
