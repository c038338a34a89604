// What both transports serve by GET, written once: stored images (/dicom/<id>) and the renderer's
// files. Each answer is transport-neutral (a status, headers and a body stream or text); the
// loopback host writes it to a node:http response, Electron's binome:// handler into a web
// Response. A stored file is opened through the service, which checks it (a regular file of the size
// recorded at import; with `?verify=content`, its content hash too); a file that fails mid-read (a
// disk error, a file cut short or grown since the check) ends the body with an error, which each
// transport turns into an aborted response, never a short body that looks whole.

import { Readable, Transform, pipeline } from 'node:stream';
import type { ErrorBody } from '../../common/api.ts';
import { ApiError, ELECTRON_ORIGIN } from '../../common/api.ts';
import type { StationService } from '../service/station.ts';
import { errorForLog, log } from '../base/log.ts';
import { INTERNAL, badRequest, errorReply, methodNotAllowed } from './errors.ts';
import { openRendererFile } from './renderer-files.ts';
import { SECURITY_HEADERS } from './csp.ts';
import { decodePath, routeOf } from './target.ts';

export interface ResourceReply {
  status: number;
  /** Lower-case names; the transport adds SECURITY_HEADERS (csp.ts). */
  headers: Record<string, string>;
  /** A stream (whose 'error' the transport must handle), a text, or nothing (HEAD, redirects). */
  body: Readable | string | null;
  /** What to answer instead if the body stream fails before its first byte was sent. */
  failure?: { status: number; error: ErrorBody };
}

export type ImageSource = Pick<StationService, 'openImage'>;

export function jsonReply(status: number, value: unknown, head = false): ResourceReply {
  const text = JSON.stringify(value);
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) },
    body: head ? null : text,
  };
}

export function errorBodyReply(status: number, error: ErrorBody, head = false): ResourceReply {
  return jsonReply(status, { ok: false, error }, head);
}

/** The reply for an error thrown while answering: typed errors as they are, anything else logged and 500. */
export function replyForError(error: unknown, context: string, head = false): ResourceReply {
  const typed = errorReply(error);
  if (typed) {
    const reply = jsonReply(typed.status, typed.body, head);
    Object.assign(reply.headers, typed.headers);
    return reply;
  }
  log.error(`${context}: ${errorForLog(error)}`);
  return errorBodyReply(500, INTERNAL, head);
}

/**
 * Passes exactly `size` bytes; errors if the source ends early or brings more. The last chunk is held
 * back until the source has ended, so that a file that grew is not served whole-looking either.
 */
function exactLength(size: number): Transform {
  let seen = 0;
  let held: Buffer | null = null;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > size) { callback(new Error('the stored file grew while it was read')); return; }
      const previous = held;
      held = chunk;
      callback(null, previous ?? undefined);
    },
    flush(callback) {
      if (seen !== size) { callback(new Error('the stored file ended early')); return; }
      callback(null, held ?? undefined);
    },
  });
}

export interface ImageOptions {
  /** `?verify=content`: check the stored file's content hash before serving it. */
  verifyContent: boolean;
  /** `?rendition=display`: the reduced display rendition instead of the stored file. */
  rendition?: 'display';
}

/** An image URL's query: `verify=content` and/or `rendition=display`, nothing else. */
export function imageOptions(query: URLSearchParams): ImageOptions {
  const options: ImageOptions = { verifyContent: false };
  for (const [name, value] of query) {
    if (name === 'verify' && value === 'content' && !options.verifyContent) options.verifyContent = true;
    else if (name === 'rendition' && value === 'display' && !options.rendition) options.rendition = 'display';
    else throw badRequest('An image can be asked for with verify=content and rendition=display only');
  }
  return options;
}

/** A stored image: its bytes, or a typed error (404 not_found, 500 damaged with its message key). */
export async function imageReply(images: ImageSource, instanceId: number, options: ImageOptions & { head?: boolean } = { verifyContent: false }): Promise<ResourceReply> {
  const head = options.head ?? false;
  let opened: Awaited<ReturnType<ImageSource['openImage']>>;
  try {
    opened = await images.openImage(instanceId, { verifyContent: options.verifyContent, rendition: options.rendition });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'damaged') log.warn(`image ${instanceId}: damaged or missing in the store`);
    return replyForError(error, `image ${instanceId}`, head);
  }
  const headers = { 'content-type': 'application/dicom', 'content-length': String(opened.size) };
  if (head) {
    opened.stream.destroy();
    return { status: 200, headers, body: null };
  }
  const checked = exactLength(opened.size);
  checked.on('error', () => undefined); // reported below; the transport reads `errored` or listens itself
  pipeline(opened.stream, checked, (error) => {
    // the reader going away (an exam left, a prefetch no longer needed) closes the stream early: not a failure of the file
    if (!error || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    log.warn(`image ${instanceId}: reading the stored file failed (${(error as NodeJS.ErrnoException).code ?? 'length'})`);
  });
  return { status: 200, headers, body: checked, failure: { status: 500, error: new ApiError('damaged', 'This image is damaged in the library store', 'error.imageDamaged').toBody() } };
}

/** A file of the renderer; 404 when the path names none. */
/**
 * What a navigation that another page started gets instead of the station (request-guard.ts): a
 * short page in the reader's language (the station's setting, else the browser's), with a link to the worklist (followed from here, it is the
 * station's own navigation). Static: no script, nothing of the library.
 */
export function foreignNavigationReply(locale: 'en' | 'fr', head = false): ResourceReply {
  const fr = locale === 'fr';
  const text = fr
    ? { lang: 'fr', title: 'Binome', said: 'Cette page a été ouverte depuis un autre site ou une autre application web de cet ordinateur. Pour protéger la liste de travail, Binome ne s’ouvre pas depuis leurs liens.', link: 'Ouvrir la liste de travail' }
    : { lang: 'en', title: 'Binome', said: 'This page was opened from another site or another web application on this computer. To protect the worklist, Binome does not open from their links.', link: 'Open the worklist' };
  const body = `<!doctype html><html lang="${text.lang}"><head><meta charset="utf-8"><title>${text.title}</title>` +
    '<style>body{font:16px system-ui,sans-serif;background:#111;color:#ddd;margin:3em auto;max-width:40em;padding:0 1em}a{color:#8cf}</style></head>' +
    `<body><h1>${text.title}</h1><p data-testid="foreign-navigation">${text.said}</p><p><a href="/">${text.link}</a></p></body></html>`;
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) }, body: head ? null : body };
}

export async function rendererReply(rendererDir: string, decodedPath: string, head = false): Promise<ResourceReply> {
  const found = await openRendererFile(rendererDir, decodedPath, head);
  if (!found) return errorBodyReply(404, { code: 'not_found', message: 'No such file in the station' }, head);
  found.stream?.on('error', (error) => log.warn(`renderer file: read failed (${(error as NodeJS.ErrnoException).code ?? 'error'})`));
  return { status: 200, headers: { 'content-type': found.contentType, 'content-length': String(found.size) }, body: found.stream };
}

/**
 * A GET or HEAD of the Electron protocol (which has no API routes: the API goes over IPC): an image
 * or a renderer file, from a URL's still-encoded pathname and its query.
 */
export async function getResource(images: ImageSource, rendererDir: string, method: string, encodedPath: string, query: URLSearchParams): Promise<ResourceReply> {
  const head = method === 'HEAD';
  try {
    if (method !== 'GET' && !head) throw methodNotAllowed('GET, HEAD');
    const route = routeOf(decodePath(encodedPath));
    if (route.kind === 'image') return await imageReply(images, route.instanceId, { ...imageOptions(query), head });
    if (route.kind === 'page') return await rendererReply(rendererDir, decodePath(encodedPath), head);
    return errorBodyReply(404, { code: 'not_found', message: 'No such address' }, head);
  } catch (error) {
    return replyForError(error, 'resource', head);
  }
}

/** An answer as a web Response, with the security headers (Electron's protocol.handle): a stream's error aborts the body. */
export function toResponse(reply: ResourceReply): Response {
  const headers = new Headers({ ...SECURITY_HEADERS, ...reply.headers });
  const body = reply.body === null ? null : typeof reply.body === 'string' ? reply.body : (Readable.toWeb(reply.body) as ReadableStream<Uint8Array>);
  return new Response(body, { status: reply.status, headers });
}

/**
 * The handler of Electron's binome://station protocol, as a plain function of web Requests (so that
 * it runs, and is tested, without Electron): images and renderer files, through the same code as
 * the loopback host. The API is not served here (it goes over IPC).
 */
export function stationRequestHandler(images: ImageSource, rendererDir: string, hostName = new URL(ELECTRON_ORIGIN).host): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      const url = new URL(request.url);
      if (url.host !== hostName) return toResponse(errorBodyReply(404, { code: 'not_found', message: 'No such address' }));
      return toResponse(await getResource(images, rendererDir, request.method, url.pathname, url.searchParams));
    } catch (error) {
      return toResponse(replyForError(error, 'protocol'));
    }
  };
}
