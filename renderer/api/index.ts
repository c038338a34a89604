// The renderer's API: over the preload bridge inside Electron, over the loopback host in a browser.
import { electronClient } from './electron-client.ts';
import { httpClient } from './http-client.ts';
import type { StationApi } from './station-api.ts';

export function createStationApi(): StationApi {
  return window.binome ? electronClient(window.binome) : httpClient();
}
