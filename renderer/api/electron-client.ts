// The contract over Electron IPC, through the preload bridge (window.binome). Files reach main by
// path, and only paths the user chose: the preload reads a dropped or picked File's path and main
// records it as granted (main/electron/path-grants.ts); a dialog's choice is granted by main itself.

import type { ApiClient, Envelope, EventName, PreloadBridge } from '../../common/api.ts';
import { ELECTRON_ORIGIN, OPERATION_NAMES, httpRoute } from '../../common/api.ts';
import type { ImportSummary } from '../../common/domain.ts';
import { addImportSummaries } from '../../common/import-summary.ts';
import type { StationApi } from './station-api.ts';
import { unwrap } from './envelope.ts';

/** importPaths takes at most this many paths a call (common/api.ts). */
const PATHS_PER_CALL = 1000;

export function electronClient(bridge: PreloadBridge): StationApi {
  const client: Record<string, unknown> = {
    on: (event: EventName, listener: (payload: unknown) => void) => bridge.on(event, listener),
    imageIdFor: (instanceId: number, rendition?: 'display') => `wadouri:${ELECTRON_ORIGIN}${httpRoute.dicom(instanceId, rendition)}`,
  };
  for (const name of OPERATION_NAMES) {
    client[name] = async (input: unknown) => unwrap(await bridge.api[name](input ?? {}) as Envelope<unknown>);
  }
  const api = client as ApiClient;
  const importPaths = async (paths: string[]): Promise<ImportSummary> => {
    const parts: ImportSummary[] = [];
    for (let i = 0; i < paths.length; i += PATHS_PER_CALL) parts.push(await api.importPaths({ paths: paths.slice(i, i + PATHS_PER_CALL) }));
    return addImportSummaries(parts);
  };
  return Object.assign(api, {
    acceptsTypedPaths: false,
    // dropped folders come as one File each, with the folder's path: main walks them
    importDrop: async (drop: { topLevel: File[] }) => importPaths(await bridge.grantFiles(drop.topLevel)),
    chooseAndImport: async (kind: 'folder' | 'files') => {
      const paths = await api.pickImportPaths({ kind });
      return paths.length ? importPaths(paths) : null;
    },
  });
}
