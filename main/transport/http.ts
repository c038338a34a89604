// The loopback HTTP host: the same API and the same renderer bundle as the Electron window, served
// on 127.0.0.1 with a random per-run token that every request must carry (a cookie set from the
// URL printed at start, an x-binome-token header, or a bearer token). Used by the end-to-end tests
// and wherever Electron cannot start.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ErrorCode, EventName } from '../../common/api.ts';
import { EVENT_NAMES, TOKEN_COOKIE, TOKEN_HEADER, httpRoute, isOperationName, operations } from '../../common/api.ts';
import type { StationService } from '../service/station.ts';
import { dispatch } from './dispatch.ts';
import { CONTENT_SECURITY_POLICY } from './csp.ts';
import { rendererFile } from './renderer-files.ts';
import { errorForLog, log } from '../base/log.ts';

const MAX_JSON_BYTES = 1 << 20;
const MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024 - 1;


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

const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400, unauthorized: 401, not_found: 404, unavailable: 501, busy: 503, internal: 500,
};

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) { reject(new HttpError(413, 'bad_request', 'Request body too large')); req.resume(); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) { reject(new HttpError(413, 'bad_request', 'Request body too large')); req.destroy(); return; }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function cookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function securityHeaders(res: http.ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cache-Control', 'no-store');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startLoopbackHost(options: LoopbackHostOptions): Promise<LoopbackHost> {
  const { service } = options;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${path.join(rendererDir, 'index.html')} is missing); run "npm run build" first`);
  }
  const handlers = {
    ...service.handlers,
    appInfo: async (input: Record<string, never>) => ({ ...(await service.handlers.appInfo(input)), transport: 'loopback-http' as const }),
  };
  const eventStreams = new Set<http.ServerResponse>();
  const unsubscribe = EVENT_NAMES.map((name: EventName) => service.on(name, (payload) => {
    const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of eventStreams) res.write(frame);
  }));
  let port = 0;
  // Cookies are shared by every port of a host: the name carries the port, so that two stations
  // served on one machine (two libraries, say) do not overwrite each other's token.
  const cookieName = () => `${TOKEN_COOKIE}_${port}`;

  const authorised = (req: http.IncomingMessage): boolean => {
    const header = req.headers[TOKEN_HEADER];
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    return sameToken(typeof header === 'string' ? header : undefined, token) || sameToken(bearer, token) ||
      sameToken(cookies(req.headers.cookie)[cookieName()], token);
  };

  const serveStatic = (res: http.ServerResponse, pathname: string) => {
    const found = rendererFile(rendererDir, pathname);
    if (!found) throw new HttpError(404, 'not_found', 'Not found');
    res.writeHead(200, { 'Content-Type': found.contentType });
    fs.createReadStream(found.file).pipe(res);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    securityHeaders(res);
    // DNS rebinding: only requests addressed to the loopback host itself are served.
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) throw new HttpError(421, 'bad_request', 'Wrong host');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    // The URL printed at start carries the token once; it becomes an HttpOnly cookie.
    const given = url.searchParams.get('token');
    if (req.method === 'GET' && url.pathname === '/' && given !== null) {
      if (!sameToken(given, token)) throw new HttpError(401, 'unauthorized', 'Wrong or missing token');
      res.writeHead(303, { 'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`, Location: '/' });
      res.end();
      return;
    }
    if (!authorised(req)) throw new HttpError(401, 'unauthorized', 'Wrong or missing token');

    const opMatch = url.pathname.match(/^\/api\/op\/([A-Za-z]+)$/);
    if (opMatch) {
      if (req.method !== 'POST') throw new HttpError(405, 'bad_request', 'Use POST');
      const name = opMatch[1];
      let input: unknown;
      if (isOperationName(name) && (operations[name] as { upload?: true }).upload) {
        const body = await readBody(req, MAX_UPLOAD_BYTES);
        input = { name: url.searchParams.get('name') ?? 'upload', data: new Uint8Array(body.buffer, body.byteOffset, body.length) };
      } else {
        const body = await readBody(req, MAX_JSON_BYTES);
        try {
          input = body.length ? JSON.parse(body.toString('utf8')) : {};
        } catch {
          throw new HttpError(400, 'bad_request', 'The request body is not valid JSON');
        }
      }
      const envelope = await dispatch(handlers, name, input);
      const status = envelope.ok ? 200 : HTTP_STATUS[envelope.error.code];
      sendJson(res, status, envelope);
      return;
    }
    if (url.pathname === httpRoute.events && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      eventStreams.add(res);
      req.on('close', () => eventStreams.delete(res));
      return;
    }
    const dicomMatch = url.pathname.match(/^\/dicom\/(\d{1,15})$/);
    if (dicomMatch) {
      const file = service.instanceFile(Number(dicomMatch[1]));
      if (!file) throw new HttpError(404, 'not_found', 'No such image');
      res.writeHead(200, { 'Content-Type': 'application/dicom', 'Content-Length': file.size });
      fs.createReadStream(file.path).pipe(res);
      return;
    }
    if (url.pathname.startsWith('/api/')) throw new HttpError(404, 'not_found', 'No such route');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'bad_request', 'Method not allowed');
    serveStatic(res, url.pathname);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const e = error instanceof HttpError ? error : new HttpError(500, 'internal', 'Internal error');
      if (!(error instanceof HttpError)) log.error(`http: ${errorForLog(error)}`);
      if (res.headersSent) { res.destroy(); return; }
      sendJson(res, e.status, { ok: false, error: { code: e.code, message: e.message } });
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
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
      unsubscribe.forEach((u) => u());
      for (const res of eventStreams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
