// The names of the contract's operations and events, and the channels and routes derived from
// them. Kept apart from the schemas (common/api.ts) so that the preload bundle carries names only;
// api.ts checks at compile time that its table has exactly these operations.

export const OPERATION_NAMES = [
  'appInfo', 'worklistQuery', 'examDetail', 'setExamStatus', 'importPaths', 'beginUpload', 'finishUpload', 'cancelUpload',
  'quarantineList', 'unfinishedImports', 'resumeImport', 'checkStore', 'getSettings', 'setSettings', 'pickImportPaths', 'loadDemoExams',
  'aiResults', 'setFirstImpression', 'noteAiShown', 'noteAiScoresShown', 'cancelAiAnalysis', 'queueAiAnalysis', 'aiModels', 'chooseAiModel', 'receiverStatus',
  'pacsStatus', 'setPacsNodes', 'testPacsNode', 'sendToPacs', 'retryPacs', 'pacsPriors',
] as const;
export type OperationName = (typeof OPERATION_NAMES)[number];

export const EVENT_NAMES = ['importProgress', 'worklistChanged', 'aiChanged', 'receiverChanged', 'pacsChanged', 'displayReady'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && (OPERATION_NAMES as readonly string[]).includes(name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);
}

/** IPC channel names. */
export const ipcChannel = {
  operation: (name: OperationName) => `binome:op:${name}`,
  event: (name: EventName) => `binome:event:${name}`,
  /** The preload reports the paths of Files the user dropped or picked; main grants them. */
  grantFiles: 'binome:grant-files',
};

/** Loopback HTTP routes (the Electron protocol serves images under the same path). */
export const httpRoute = {
  operation: (name: OperationName) => `/api/op/${name}`,
  events: '/api/events',
  /** POST one file's bytes of an upload begun with beginUpload (the file's name in `?name=`). */
  upload: (uploadId: string) => `/api/upload/${uploadId}`,
  /** A stored image; `display`: its reduced display rendition (the viewer paints it first). */
  dicom: (instanceId: number, rendition?: 'display') => `/dicom/${instanceId}${rendition ? `?rendition=${rendition}` : ''}`,
};

/** The custom scheme and host under which Electron serves the renderer and the stored images. */
export const ELECTRON_ORIGIN = 'binome://station';

export const TOKEN_COOKIE = 'binome_token';
export const TOKEN_HEADER = 'x-binome-token';
/**
 * Every API request from the station's own page carries this header. A page on another origin
 * cannot add it without a CORS preflight, which the host never grants, so a cross-site form or
 * no-cors fetch is refused even where the browser sends the cookie (every port of 127.0.0.1 is the
 * same site).
 */
export const REQUEST_HEADER = 'x-binome-request';

/** The longest name an uploaded file may carry (`?name=`): a label, shown in the import summary. */
export const MAX_UPLOAD_NAME = 1024;

/** Control characters (C0, DEL, C1), which an uploaded file's name may not hold. */
export const UPLOAD_NAME_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Characters that reorder the text shown after them (bidirectional marks, embeddings, overrides and
 * isolates, and the line and paragraph separators), which an uploaded file's name may not hold
 * either: "cc\u202Emcd.exe" showed as "ccexe.dcm" in the import summary, the page and the logs.
 */
export const UPLOAD_NAME_DIRECTION = /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * The label an uploaded file is sent with: its path as the browser knows it, control characters
 * (a name may hold a newline, a tab, an escape) and direction characters (UPLOAD_NAME_DIRECTION)
 * written as U+FFFD, at most MAX_UPLOAD_NAME characters, the end kept (the file's own name). One
 * odd name never fails the other files (the loopback host refuses a name that holds them).
 */
export function uploadLabel(name: string): string {
  const clean = name.replace(new RegExp(`${UPLOAD_NAME_CONTROLS.source}|${UPLOAD_NAME_DIRECTION.source}`, 'g'), '\ufffd') || 'upload';
  return clean.length > MAX_UPLOAD_NAME ? `…${clean.slice(clean.length - MAX_UPLOAD_NAME + 1)}` : clean;
}
