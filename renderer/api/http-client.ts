// The contract over the loopback HTTP host (a plain browser): JSON operations with the station's
// request header, server-sent events, and uploads streamed file by file from disk (the File is the
// request body: never read whole into the page). The token travels as an HttpOnly cookie.

import type { ApiClient, Envelope, EventName, OperationName, PreloadBridge } from '../../common/api.ts';
import { ApiError, EVENT_NAMES, OPERATION_NAMES, REQUEST_HEADER, httpRoute, uploadLabel } from '../../common/api.ts';
import type { ImportSummary } from '../../common/domain.ts';
import type { Drop, ImportProgressCallback, StationApi } from './station-api.ts';
import { unwrap } from './envelope.ts';

declare global {
  interface Window {
    binome?: PreloadBridge;
  }
}

type Listener = (payload: unknown) => void;

/** Files sent at once: enough to keep the disk busy, few enough for the host's limit. */
const PARALLEL_UPLOADS = 2;
/** How long an upload waits, all tries together, while the host says it is receiving too many files at once. */
const BUSY_WAIT_MS = 120_000;

/** The host answers every request with an envelope; anything else (a proxy, a cut connection) becomes an internal error. */
async function envelopeOf(response: Response): Promise<Envelope<unknown>> {
  const fallback: Envelope<unknown> = { ok: false, error: { code: 'internal', message: `HTTP ${response.status}`, key: 'error.internal' } };
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) return fallback;
  const body = (await response.json().catch(() => null)) as Envelope<unknown> | null;
  return body && typeof body === 'object' && 'ok' in body ? body : fallback;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function httpClient(): StationApi {
  const listeners = new Map<EventName, Set<Listener>>();
  let source: EventSource | null = null;
  const ensureEvents = () => {
    if (source) return;
    source = new EventSource(httpRoute.events);
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (e) => {
        const payload = JSON.parse((e as MessageEvent<string>).data) as unknown;
        listeners.get(name)?.forEach((l) => l(payload));
      });
    }
  };
  const call = async (name: OperationName, input: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(httpRoute.operation(name), {
        method: 'POST', headers: { 'Content-Type': 'application/json', [REQUEST_HEADER]: '1' }, body: JSON.stringify(input ?? {}),
      });
    } catch {
      // no answer at all (the station stopped, or was killed): said so, not the browser's "Failed to fetch"
      throw new ApiError('unavailable', `No answer from the station to ${name}`, 'error.stationUnreachable');
    }
    return unwrap(await envelopeOf(response));
  };
  const client: Record<string, unknown> = {
    on: (event: EventName, listener: Listener) => {
      ensureEvents();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    imageIdFor: (instanceId: number, rendition?: 'display') => `wadouri:${location.origin}${httpRoute.dicom(instanceId, rendition)}`,
  };
  for (const name of OPERATION_NAMES) client[name] = (input: unknown) => call(name, input);
  const api = client as ApiClient;

  /**
   * Sends one file's bytes (the File is the body: the browser streams it from disk); waits and tries
   * again while the host says it is receiving too many files at once (503 busy, with Retry-After).
   */
  const send = async (uploadId: string, file: File): Promise<void> => {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${httpRoute.upload(uploadId)}?name=${encodeURIComponent(uploadLabel(file.webkitRelativePath || file.name))}`, {
          method: 'POST', headers: { 'Content-Type': 'application/octet-stream', [REQUEST_HEADER]: '1' }, body: file,
        });
      } catch {
        // the connection broke mid-file (the host stopped, or the file could not be read)
        throw new ApiError('bad_request', 'The file did not arrive whole', 'error.uploadIncomplete');
      }
      const envelope = await envelopeOf(response);
      if (envelope.ok) return;
      if (envelope.error.code === 'busy' && envelope.error.key !== 'error.shuttingDown' && Date.now() - started < BUSY_WAIT_MS) {
        const retryAfter = Number(response.headers.get('retry-after'));
        await sleep(Math.min(5000, (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 200) * (1 + Math.min(attempt, 4) / 4) * (0.75 + Math.random() / 2)));
        continue;
      }
      unwrap(envelope);
    }
  };

  /** Uploads files, then imports them all as one job (an exam is never shown with part of its views). */
  const upload = async (files: File[], onProgress: ImportProgressCallback): Promise<ImportSummary> => {
    const { uploadId } = await api.beginUpload({});
    let next = 0;
    let done = 0;
    onProgress(0, files.length);
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, files.length) }, async () => {
        while (next < files.length) {
          await send(uploadId, files[next++]!);
          onProgress(++done, files.length);
        }
      }));
    } catch (error) {
      await api.cancelUpload({ uploadId }).catch(() => undefined);
      throw error;
    }
    return api.finishUpload({ uploadId });
  };

  return Object.assign(api, {
    acceptsTypedPaths: true,
    importDrop: async (drop: Drop, onProgress: ImportProgressCallback) => upload(await drop.allFiles(), onProgress),
    chooseAndImport: (kind: 'folder' | 'files', onProgress: ImportProgressCallback) => new Promise<ImportSummary | null>((resolve, reject) => {
      // opened straight from the user's click (no await before input.click())
      const input = document.createElement('input');
      input.type = 'file';
      input.multiple = true;
      if (kind === 'folder') input.webkitdirectory = true;
      input.addEventListener('change', () => {
        const files = [...(input.files ?? [])];
        if (!files.length) resolve(null);
        else upload(files, onProgress).then(resolve, reject);
      });
      input.addEventListener('cancel', () => resolve(null));
      input.click();
    }),
  });
}

