// The binome:// scheme: the renderer bundle at binome://station/, and stored DICOM files at
// binome://station/dicom/<instanceId>, streamed to Cornerstone's wadouri: loader. A custom scheme
// rather than file:// keeps the renderer away from the file system.

import fs from 'node:fs';
import { Readable } from 'node:stream';
import { protocol } from 'electron';
import type { StationService } from '../service/station.ts';
import { CONTENT_SECURITY_POLICY } from '../transport/csp.ts';
import { rendererFile } from '../transport/renderer-files.ts';
import { errorForLog, log } from '../base/log.ts';

export const SCHEME = 'binome';


/** Must run before the app is ready. */
export function registerSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true, codeCache: true } },
  ]);
}

function respond(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

export function handleStationProtocol(service: StationService, rendererDir: string): void {
  protocol.handle(SCHEME, async (request) => {
    try {
      const url = new URL(request.url);
      if (url.host !== 'station') return respond(404, 'Not found');
      const dicom = url.pathname.match(/^\/dicom\/(\d{1,15})$/);
      if (dicom) {
        const file = service.instanceFile(Number(dicom[1]));
        if (!file) return respond(404, 'No such image');
        const body = Readable.toWeb(fs.createReadStream(file.path)) as ReadableStream;
        return new Response(body, { headers: { 'content-type': 'application/dicom', 'content-length': String(file.size) } });
      }
      const found = rendererFile(rendererDir, url.pathname);
      if (!found) return respond(404, 'Not found');
      const body = Readable.toWeb(fs.createReadStream(found.file)) as ReadableStream;
      return new Response(body, { headers: {
        'content-type': found.contentType,
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
      } });
    } catch (error) {
      log.error(`protocol: ${errorForLog(error)}`);
      return respond(500, 'Internal error');
    }
  });
}
