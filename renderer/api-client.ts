// The renderer's side of the API contract. Inside Electron it calls the preload bridge; in a plain
// browser it calls the loopback HTTP host (the token travels as an HttpOnly cookie). Both speak the
// same envelopes, so the rest of the renderer never knows which transport it has.

import type { ApiClient, ApiEvents, Envelope, EventName, OperationName, PreloadBridge } from '../common/api.ts';
import { ApiError, ELECTRON_ORIGIN, EVENT_NAMES, OPERATION_NAMES, httpRoute, operations } from '../common/api.ts';

declare global {
  interface Window {
    binome?: PreloadBridge;
  }
}

function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw new ApiError(envelope.error.code, envelope.error.message);
}

type Listener = (payload: unknown) => void;

function electronClient(bridge: PreloadBridge): ApiClient {
  const client: Record<string, unknown> = {
    on: (event: EventName, listener: Listener) => bridge.on(event, listener),
    imageIdFor: (instanceId: number) => `wadouri:${ELECTRON_ORIGIN}${httpRoute.dicom(instanceId)}`,
  };
  for (const name of OPERATION_NAMES) {
    client[name] = async (input: unknown) => unwrap(await bridge.api[name](input ?? {}) as Envelope<unknown>);
  }
  return client as ApiClient;
}

function httpClient(): ApiClient {
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
    const upload = (operations[name] as { upload?: true }).upload;
    let response: Response;
    if (upload) {
      const { name: fileName, data } = input as { name: string; data: Uint8Array };
      response = await fetch(`${httpRoute.operation(name)}?name=${encodeURIComponent(fileName)}`, {
        method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: data as BodyInit,
      });
    } else {
      response = await fetch(httpRoute.operation(name), {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(input ?? {}),
      });
    }
    const envelope = (await response.json().catch(() => ({ ok: false, error: { code: 'internal', message: `HTTP ${response.status}` } }))) as Envelope<unknown>;
    return unwrap(envelope);
  };
  const client: Record<string, unknown> = {
    on: (event: EventName, listener: Listener) => {
      ensureEvents();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    imageIdFor: (instanceId: number) => `wadouri:${location.origin}${httpRoute.dicom(instanceId)}`,
  };
  for (const name of OPERATION_NAMES) client[name] = (input: unknown) => call(name, input);
  return client as ApiClient;
}

export function createApiClient(): ApiClient {
  return window.binome ? electronClient(window.binome) : httpClient();
}

/** The path of a dropped file, where the transport can know it (Electron); null in a browser. */
export function pathOfDroppedFile(file: File): string | null {
  try {
    return window.binome?.pathForFile(file) || null;
  } catch {
    return null;
  }
}

export type { ApiEvents };
