// The loopback HTTP host: the same API and the same renderer bundle as the Electron window, served
// on 127.0.0.1 with a random per-run token, for the end-to-end tests and wherever Electron cannot
// start. Built on node:http with a few small parts of its own (target.ts, request-guard.ts, body.ts,
// resources.ts) rather than on a framework: see the notes at the end of this file.
//
// Every request passes, in this order:
//  1. Host is 127.0.0.1:<port> or localhost:<port> (DNS rebinding)                       → 421
//  2. the target is a path of at most 2,048 characters, with valid percent-encoding and no
//     control characters, backslashes or dot segments                                  → 414, 400
//  3. Origin, when sent, is the station's own; Sec-Fetch-Site, when sent, is same-origin or
//     none, or the request is a top-level navigation to the page                       → 403
//     (that one, when another page started it, gets a notice, not the station)
//  4. the token: the cookie set from the printed URL's ?token= (named per port), the
//     x-binome-token header or a bearer token                                          → 401
//  5. the route exists and takes the method (OPTIONS never: no CORS preflight is granted) → 404, 405
//  6. API requests (but the event stream, which EventSource cannot label) carry the
//     x-binome-request header, which no other page can add without a preflight        → 403
//  7. operations are application/json, uploads application/octet-stream or
//     application/dicom, uncompressed                                                    → 415
//  8. a JSON body is at most 1 MiB (by Content-Length, or as it arrives), UTF-8, nested at
//     most 32 deep, without __proto__/constructor/prototype keys; then the operation's
//     schema (dispatch.ts)                                                               → 413, 400
//  9. an upload streams to the service, which refuses a file by its declared size before
//     reading it, counts it as it comes, and bounds files received at once              → 413, 503
// Malformed requests that Node's parser refuses (headers over 1 MiB, a broken request line)
// get a JSON 431 or 400 too. Every refusal is the API's error envelope with a reason a person can act
// on; only unexpected failures reach the log at error level. No response ever carries a CORS header.

import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { ApiHandlers, EventName } from '../../common/api.ts';
import { EVENT_NAMES, MAX_UPLOAD_NAME, REQUEST_HEADER, TOKEN_COOKIE, UPLOAD_NAME_CONTROLS, UPLOAD_NAME_DIRECTION } from '../../common/api.ts';
import type { StationService } from '../service/station.ts';
import { errorForLog, log } from '../base/log.ts';
import { dispatch } from './dispatch.ts';
import { HTTP_ONLY_HEADERS, SECURITY_HEADERS } from './csp.ts';
import { HTTP_STATUS, TransportError, forbidden, methodNotAllowed } from './errors.ts';
import { parseTarget, routeOf } from './target.ts';
import type { Route } from './target.ts';
import { checkHost, checkSite, carriesToken, sameToken } from './request-guard.ts';
import { MAX_JSON_BYTES, bodyStream, declaredLength, parseJsonBody, readBody, requireMediaType } from './body.ts';
import { errorBodyReply, foreignNavigationReply, imageOptions, imageReply, jsonReply, rendererReply, replyForError } from './resources.ts';
import type { ResourceReply } from './resources.ts';
import type { MessageKey, MessageParams } from '../../common/i18n/messages.ts';

export interface LoopbackHostOptions {
  service: StationService;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface LoopbackHost {
  url: string;
  /** The URL to open: it carries the token once, which the host turns into a cookie. */
  openUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

// Cookies are sent to every port of 127.0.0.1: other local web applications' cookies come with each
// request (a browser sends up to 180 of 4 KiB each), and a 431 would lock the reader out of the
// station in that browser. One request's headers may hold 1 MiB; connections are bounded below.
const MAX_HEADER_BYTES = 1 << 20;
/** Connections at once: the station's page uses a handful; a runaway local client may not exhaust the process. */
const MAX_CONNECTIONS = 256;
/** Event streams open at once: past it the oldest is closed (its page's EventSource opens it again). A token holder's 300 streams held every connection (a probe). */
const MAX_EVENT_STREAMS = 32;
/** After a refusal, what is left of a request body is read and dropped up to this much or this long, then the connection is closed. */
const DRAIN_BYTES = 64 << 20;
const DRAIN_MS = 10_000;
/** An event stream whose client has stopped reading is dropped past this much unsent. */
const EVENT_BACKLOG_BYTES = 1 << 20;
const EVENT_HEARTBEAT_MS = 25_000;

const UPLOAD_TYPES = ['application/octet-stream', 'application/dicom'] as const;

const unauthorized = () => new TransportError(401, 'unauthorized', 'Wrong or missing token: open the station from the address it printed', 'error.unauthorized');
const noRoute = () => new TransportError(404, 'not_found', 'No such address in the station', 'error.noSuchAddress');
// as dispatch says it over IPC (keyed: it answered "no such address", in English inside the French page's sentence, a probe)
const unknownOperation = (name: string) => new TransportError(404, 'not_found', `Unknown operation: ${name}`, 'error.unknownOperation', { operation: name });

function allowedMethods(route: Route): string {
  switch (route.kind) {
    case 'operation': case 'upload': return 'POST';
    case 'events': return 'GET';
    default: return 'GET, HEAD';
  }
}

/** The JSON a refusal gets when Node's parser refused the request before any handler saw it. */
function rawErrorResponse(status: number, message: string, key: MessageKey, params?: MessageParams): string {
  const body = JSON.stringify({ ok: false, error: { code: 'bad_request', message, key, ...(params ? { params } : {}) } });
  const headers = Object.entries({ ...SECURITY_HEADERS, ...HTTP_ONLY_HEADERS }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `${headers}connection: close\r\n\r\n${body}`;
}

/** Whether the connection stays open after this response (HTTP/1.1 without "Connection: close"). */
function keepsAlive(req: http.IncomingMessage): boolean {
  return req.httpVersion === '1.1' && !/(^|,)\s*close\s*(,|$)/i.test(req.headers.connection ?? '');
}

/**
 * Reads and drops what is left of a refused request's body, so that a client still sending reads
 * the answer rather than a reset, within DRAIN_BYTES and DRAIN_MS. `then(cut)` runs once: when the
 * body has ended (cut false), or when a bound was passed (cut true: the connection is then closed
 * after the answer).
 */
function drain(req: http.IncomingMessage, then: (cut: boolean) => void): void {
  if (req.complete || req.destroyed) { then(false); return; }
  const socket = req.socket;
  const startBytes = socket.bytesRead;
  const started = Date.now();
  let done = false;
  const finish = (cut: boolean) => {
    if (done) return;
    done = true;
    clearInterval(timer);
    req.off('end', onEnd);
    req.off('close', onEnd);
    then(cut);
  };
  const onEnd = () => finish(false);
  const timer = setInterval(() => {
    if (socket.bytesRead - startBytes > DRAIN_BYTES || Date.now() - started > DRAIN_MS) finish(true);
  }, 50);
  timer.unref();
  req.on('end', onEnd);
  req.on('close', onEnd);
  req.resume();
}

/** Closes a connection whose request body was not read whole, after the answer has gone out. */
function closeAfter(res: http.ServerResponse, socket: Socket): void {
  const end = () => {
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  if (res.writableFinished) end();
  else res.once('finish', end);
}

export async function startLoopbackHost(options: LoopbackHostOptions): Promise<LoopbackHost> {
  const { service } = options;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${path.join(rendererDir, 'index.html')} is missing); run "npm run build" first`);
  }
  const handlers: ApiHandlers = {
    ...service.handlers,
    appInfo: async (input: Record<string, never>) => ({ ...(await service.handlers.appInfo(input)), transport: 'loopback-http' as const }),
  };

  // server-sent events
  const eventStreams = new Set<http.ServerResponse>();
  const broadcast = (frame: string) => {
    for (const res of eventStreams) {
      if (res.writableLength > EVENT_BACKLOG_BYTES) { eventStreams.delete(res); res.destroy(); continue; }
      res.write(frame);
    }
  };
  const unsubscribe = EVENT_NAMES.map((name: EventName) => service.on(name, (payload) => broadcast(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`)));
  const heartbeat = setInterval(() => broadcast(': still here\n\n'), EVENT_HEARTBEAT_MS);
  heartbeat.unref();

  let port = 0;
  // Cookies are shared by every port of a host: the name carries the port, so that two stations
  // served on one machine (two libraries, say) do not overwrite each other's token.
  const cookieName = () => `${TOKEN_COOKIE}_${port}`;
  let closing = false;

  const send = (req: http.IncomingMessage, res: http.ServerResponse, reply: ResourceReply) => {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      if (reply.body && typeof reply.body !== 'string') reply.body.destroy();
      return;
    }
    if (req.complete) { write(req, res, reply); return; }
    // The body is still arriving (a refusal before or while reading it). On a connection that stays
    // open, answer now and drop the rest as it comes; on one that closes after this answer (the
    // client said "Connection: close"), drop the rest first, since closing a socket with unread
    // data resets it and the client may lose the answer.
    if (keepsAlive(req) && res.shouldKeepAlive && !closing) {
      write(req, res, reply);
      drain(req, (cut) => { if (cut) closeAfter(res, req.socket); });
    } else {
      const socket = req.socket;
      drain(req, (cut) => {
        write(req, res, reply);
        if (cut) closeAfter(res, socket);
      });
    }
  };

  const write = (req: http.IncomingMessage, res: http.ServerResponse, reply: ResourceReply) => {
    if (res.headersSent || res.destroyed) {
      if (reply.body && typeof reply.body !== 'string') reply.body.destroy();
      return;
    }
    res.statusCode = reply.status;
    for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
    if (reply.status === 503) res.setHeader('retry-after', '1');
    if (closing) res.setHeader('connection', 'close');
    const body = reply.body;
    if (body === null || typeof body === 'string' || req.method === 'HEAD') {
      if (body && typeof body !== 'string') body.destroy();
      res.end(typeof body === 'string' && req.method !== 'HEAD' ? body : undefined);
    } else {
      // A body that fails before its first byte went out is answered as the reply says (an image:
      // damaged); after that, the response is destroyed: the client sees an aborted transfer, never a
      // short one that looks whole.
      const failed = () => {
        body.unpipe(res);
        if (!res.headersSent && reply.failure) {
          for (const name of Object.keys(reply.headers)) res.removeHeader(name);
          write(req, res, errorBodyReply(reply.failure.status, reply.failure.error));
        } else {
          res.destroy();
        }
      };
      if (body.errored || body.destroyed) { failed(); return; }
      body.once('error', failed);
      res.once('close', () => body.destroy());
      body.pipe(res);
    }
  };

  const operation = async (req: http.IncomingMessage, name: Parameters<typeof dispatch>[1]): Promise<ResourceReply> => {
    requireMediaType(req, ['application/json'], 'Operations');
    const input = parseJsonBody(await readBody(req, MAX_JSON_BYTES));
    const envelope = await dispatch(handlers, name, input);
    return jsonReply(envelope.ok ? 200 : HTTP_STATUS[envelope.error.code], envelope);
  };

  const upload = async (req: http.IncomingMessage, uploadId: string, query: URLSearchParams): Promise<ResourceReply> => {
    requireMediaType(req, UPLOAD_TYPES, 'Uploaded files');
    const name = query.get('name') ?? 'upload';
    if (name.length > MAX_UPLOAD_NAME || UPLOAD_NAME_CONTROLS.test(name)) {
      throw new TransportError(400, 'bad_request', `The file's name (the "name" parameter) must be at most ${MAX_UPLOAD_NAME} characters, without control characters`,
        'error.uploadName', { max: MAX_UPLOAD_NAME });
    }
    // refused, not kept: the name is the import's label, shown by the page and the logs, where a
    // U+202E showed the rest of it backwards (the station's page sends such characters as U+FFFD)
    if (UPLOAD_NAME_DIRECTION.test(name)) {
      throw new TransportError(400, 'bad_request', 'The file\'s name (the "name" parameter) must not hold bidirectional control characters (U+061C, U+200E, U+200F, U+2028, U+2029, U+202A to U+202E, U+2066 to U+2069)',
        'error.uploadNameDirection');
    }
    const body = bodyStream(req);
    try {
      const received = await service.receiveUpload(uploadId, name, body, declaredLength(req));
      return jsonReply(200, { ok: true, value: received });
    } finally {
      // a file refused before or while it was read: the request goes back to the transport, which drains it
      req.unpipe(body);
      body.destroy();
    }
  };

  const openEvents = (res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    if (eventStreams.size >= MAX_EVENT_STREAMS) {
      const oldest = eventStreams.values().next().value!;
      eventStreams.delete(oldest);
      oldest.destroy();
    }
    eventStreams.add(res);
    res.on('close', () => eventStreams.delete(res));
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    try {
      const host = checkHost(req.headers, port);
      const target = parseTarget(req.url ?? '/');
      const route = routeOf(target.path);
      const site = checkSite(req.headers, host, method, route);
      if (site === 'foreign-navigation') {
        const locale = service.chosenLocale() ?? (/^\s*fr\b/i.test(req.headers['accept-language'] ?? '') ? 'fr' : 'en');
        send(req, res, foreignNavigationReply(locale, head));
        return;
      }

      // The URL printed at start carries the token once; it becomes an HttpOnly cookie.
      if (route.kind === 'page' && target.path === '/' && target.query.has('token') && (method === 'GET' || head)) {
        if (!sameToken(target.query.get('token') ?? undefined, token)) throw unauthorized();
        send(req, res, { status: 303, headers: { 'set-cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`, location: '/' }, body: null });
        return;
      }
      if (!carriesToken(req.headers, token, cookieName())) throw unauthorized();
      untrusted.delete(req.socket);
      if (route.kind === 'unknown') throw noRoute();
      if (route.kind === 'unknownOperation') throw unknownOperation(route.name);
      const allow = allowedMethods(route);
      if (!allow.split(', ').includes(method)) throw methodNotAllowed(allow);
      if ((route.kind === 'operation' || route.kind === 'upload') && req.headers[REQUEST_HEADER] === undefined) {
        throw forbidden(`Refused: API requests must carry the ${REQUEST_HEADER} header (the station's page sends it)`);
      }
      switch (route.kind) {
        case 'operation': send(req, res, await operation(req, route.name)); return;
        case 'upload': send(req, res, await upload(req, route.uploadId, target.query)); return;
        case 'events': openEvents(res); return;
        case 'image': send(req, res, await imageReply(service, route.instanceId, { ...imageOptions(target.query), head })); return;
        case 'page': send(req, res, await rendererReply(rendererDir, target.path, head)); return;
      }
    } catch (error) {
      // refused before its token was seen on this connection: not kept open for another try (a local
      // program's 300 keep-alive sockets, each refused every 3 s, held every connection: a probe)
      if (untrusted.has(req.socket)) { res.shouldKeepAlive = false; res.setHeader('connection', 'close'); }
      send(req, res, replyForError(error, `http ${method}`, head));
    }
  };
  // connected, not yet carrying the token (no request's headers received yet, or only refused ones), oldest first
  const untrusted = new Set<Socket>();

  const server = http.createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    // uploads of large files may take long; a JSON body has its own limit (body.ts), headers this one
    requestTimeout: 0,
    headersTimeout: 15_000,
    keepAliveTimeout: 5_000,
  }, (req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    for (const [name, value] of Object.entries({ ...SECURITY_HEADERS, ...HTTP_ONLY_HEADERS })) res.setHeader(name, value);
    handle(req, res).catch((error: unknown) => {
      log.error(`http: ${errorForLog(error)}`);
      res.destroy();
    });
  });
  // Connections past the bound: the oldest one that has not carried the token yet is dropped for the
  // new one (or, with none such, the new one is). A local program holding 300 sockets open with
  // half-sent headers (no token needed to do so) filled Node's own bound, and kept the reader's page
  // out for as long as it went on (a probe); its sockets now make room, as do those whose requests
  // were refused.
  let connections = 0;
  server.on('connection', (socket: Socket) => {
    connections++;
    socket.once('close', () => { connections--; untrusted.delete(socket); });
    if (connections > MAX_CONNECTIONS) {
      const oldest = untrusted.values().next().value;
      if (oldest === undefined) { socket.destroy(); return; }
      untrusted.delete(oldest);
      oldest.destroy();
    }
    untrusted.add(socket);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // each keyed in its own words: an English reason as the parameter of error.badRequest showed inside the French page's sentence
    socket.end(error.code === 'HPE_HEADER_OVERFLOW'
      ? rawErrorResponse(431, `The request's headers are larger than ${MAX_HEADER_BYTES >> 20} MiB (if other local applications set many cookies, clear them for 127.0.0.1)`,
        'error.headersTooLarge', { size: MAX_HEADER_BYTES >> 20 })
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? rawErrorResponse(408, 'The request took too long to arrive', 'error.requestTimeout')
        : rawErrorResponse(400, 'The request is not well-formed HTTP', 'error.malformedHttp'));
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    port,
    token,
    close: async () => {
      if (closing) return;
      closing = true;
      unsubscribe.forEach((u) => u());
      clearInterval(heartbeat);
      for (const res of eventStreams) res.end();
      eventStreams.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // ends keep-alive sockets, event streams and uploads in progress (the service drops their partial files)
      server.closeAllConnections();
      await closed;
    },
  };
}

// Why node:http and not a framework (fastify 5 was weighed, as issue 6 suggests): the host has five
// routes, and what a framework would take over here is small (percent-decoding behind a try, a body
// limit, a content-type switch: together under 100 lines in body.ts and target.ts). In exchange,
// fastify 5.12 brings 48 packages (16 MB installed, 1.5 MB bundled) into the station's runtime
// dependencies, and several of its defaults would have to be switched off to stay safe here: it
// parses text/plain bodies (the content type a no-cors attack uses), answers in its own error
// shapes (not the API's envelope) from its 404 handler, its client-error handler and its framework
// errors, and has a logger of its own. The image and renderer-file code had to be framework-free
// anyway, since Electron's protocol serves the same answers (resources.ts).
