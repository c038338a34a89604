// Request bodies on the loopback host: JSON operations read whole up to a limit (1 MiB: an
// operation's input is a few hundred bytes), parsed with bounded nesting and no prototype keys; an
// upload passed on as a stream (never held in memory) to the service, which writes it to disk.
// A body refused part-way is not destroyed here (that would reset the connection before the client
// reads the answer): http.ts answers first, then drains what is left, within bounds.

import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { TransportError, badRequest } from './errors.ts';

export const MAX_JSON_BYTES = 1 << 20;
/** Deepest nesting of arrays and objects accepted in an operation's input (the contract's is 3). */
export const MAX_JSON_DEPTH = 32;
/** How long a JSON body may take to arrive. */
const JSON_BODY_MS = 30_000;

/** The media type of the request, lower case, without parameters ('' when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function requireMediaType(req: IncomingMessage, accepted: readonly string[], what: string): void {
  const type = mediaType(req);
  if (!accepted.includes(type)) {
    throw new TransportError(415, 'unsupported_media_type', `${what} must be sent as ${accepted.join(' or ')}${type ? ` (not ${type.slice(0, 60)})` : ''}`,
      'error.mediaType', { types: accepted.join(', ') });
  }
  // JSON is UTF-8 (RFC 8259): a body said to be in another character set would be read as UTF-8 all
  // the same, its accented letters garbled (a probe sent charset=latin1 and was answered 200); every
  // charset parameter is read, an empty one too (charset=utf-8;charset=latin1 passed on its first)
  const charsets = [...(req.headers['content-type'] ?? '').matchAll(/;\s*charset\s*=\s*"?([^";\s]*)/gi)].map((m) => m[1]!.toLowerCase());
  const other = charsets.find((c) => c !== 'utf-8' && c !== 'utf8');
  if (type === 'application/json' && other !== undefined) {
    throw new TransportError(415, 'unsupported_media_type', `${what} must be sent in UTF-8 (not ${other ? other.slice(0, 40) : 'an empty charset'})`,
      'error.charset');
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    throw new TransportError(415, 'unsupported_media_type', 'Compressed request bodies are not accepted (send it without Content-Encoding)',
      'error.contentEncoding');
  }
}

/** The declared Content-Length (undefined for a chunked body); Node has already checked it is digits. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : Number.MAX_SAFE_INTEGER;
}

const tooLarge = (limit: number) => new TransportError(413, 'too_large', `The request body is larger than ${limit >> 10} KiB`,
  'error.badRequest', { message: `request body over ${limit >> 10} KiB` });

/** Reads a body of at most `limit` bytes; on refusal the request is left paused, unread. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (error) { req.pause(); reject(error); } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onClose = () => { if (!req.complete) finish(badRequest('The request body did not arrive whole')); };
    const timer = setTimeout(() => finish(badRequest('The request body took too long to arrive', 408)), JSON_BODY_MS);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

/** Deepest nesting of arrays and objects in a JSON text (a linear scan, before any recursive parse). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses an operation's JSON input: UTF-8, bounded nesting, no prototype keys; typed 400s otherwise. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw badRequest('The request body is not valid UTF-8');
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw badRequest(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  let forbiddenKey: string | null = null;
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) forbiddenKey = key;
      return v;
    });
  } catch {
    throw badRequest('The request body is not valid JSON');
  }
  if (forbiddenKey !== null) throw badRequest(`The request body has a field named "${forbiddenKey}", which no operation takes`);
  return value;
}

/**
 * The request body as a stream the service may consume or destroy: the request itself stays with the
 * transport, so that a file refused part-way (too large, disk full) can still be answered before
 * the connection closes. A request cut short errors the stream, so the service never takes a
 * partial file for a whole one.
 */
export function bodyStream(req: IncomingMessage): PassThrough {
  const body = new PassThrough();
  req.pipe(body);
  req.once('close', () => {
    if (!req.complete) body.destroy(new Error('the request ended before its body was complete'));
  });
  return body;
}
