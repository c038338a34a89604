// How an error crosses an HTTP-like transport (the loopback host, Electron's binome:// protocol):
// a status and the contract's error envelope. The service's ApiErrors map by code; refusals made
// by the transport itself (a bad address, a foreign page, a body too large) carry their own status
// (405, 414, 421, 431) and a reason a person can act on.

import type { ErrorBody, ErrorCode } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import type { MessageKey, MessageParams } from '../../common/i18n/messages.ts';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400, unauthorized: 401, forbidden: 403, not_found: 404, too_large: 413, unsupported_media_type: 415,
  // a full library disk: 507 Insufficient Storage (it answered 501, "not implemented", a probe)
  unavailable: 501, busy: 503, disk_full: 507, damaged: 500, internal: 500,
};

/** A refusal by the transport: an ApiError with the HTTP status to answer it with. */
export class TransportError extends ApiError {
  /** Headers the refusal needs (Allow, for a 405). */
  readonly headers: Record<string, string> = {};

  constructor(readonly status: number, code: ErrorCode, message: string, key?: MessageKey, params?: MessageParams) {
    super(code, message, key, params);
    this.name = 'TransportError';
  }
}

/** A request the transport refuses as malformed; the message says what to change. */
export const badRequest = (message: string, status = 400) =>
  new TransportError(status, 'bad_request', message, 'error.badRequest', { message });

export const forbidden = (message: string) => new TransportError(403, 'forbidden', message, 'error.forbidden');

export function methodNotAllowed(allow: string): TransportError {
  // keyed, the methods as a parameter (protocol words, the same in every language): "use POST" was an
  // English parameter inside the French page's sentence (a probe)
  const error = new TransportError(405, 'bad_request', `Use ${allow.replace(', ', ' or ')} here`, 'error.methodNotAllowed', { methods: allow });
  error.headers.allow = allow;
  return error;
}

export const INTERNAL: ErrorBody = { code: 'internal', message: 'Internal error; see the application log', key: 'error.internal' };

/** The status and envelope body for an error thrown while answering; null for an unexpected one (a bug: log it). */
export function errorReply(error: unknown): { status: number; headers: Record<string, string>; body: { ok: false; error: ErrorBody } } | null {
  if (error instanceof TransportError) return { status: error.status, headers: error.headers, body: { ok: false, error: error.toBody() } };
  if (error instanceof ApiError) return { status: HTTP_STATUS[error.code] ?? 500, headers: {}, body: { ok: false, error: error.toBody() } };
  return null;
}
