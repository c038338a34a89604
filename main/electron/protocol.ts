// The binome:// scheme: the renderer bundle at binome://station/, and stored DICOM files at
// binome://station/dicom/<instanceId>, streamed to Cornerstone's wadouri: loader. A custom scheme
// rather than file:// keeps the renderer away from the file system. What is served, and every
// refusal, comes from main/transport/resources.ts (stationRequestHandler), the same code as the
// loopback host's images and renderer files: this file only registers it with Electron.

import { protocol } from 'electron';
import type { StationService } from '../service/station.ts';
import { stationRequestHandler } from '../transport/resources.ts';

export const SCHEME = 'binome';

/** Must run before the app is ready. */
export function registerSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true, codeCache: true } },
  ]);
}

export function handleStationProtocol(service: StationService, rendererDir: string): void {
  protocol.handle(SCHEME, stationRequestHandler(service, rendererDir));
}
