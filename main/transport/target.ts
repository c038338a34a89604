// The request target (path and query) as both transports read it: a bounded length, percent-decoding
// that cannot throw past this file, and no control characters, backslashes or dot segments (which
// only a crafted request carries: browsers normalise them away). Then the routes, named once.

import type { OperationName } from '../../common/api.ts';
import { isOperationName } from '../../common/api.ts';
import { badRequest } from './errors.ts';

/** Longest request target accepted (path and query); browsers' own limits are far above any address of the station. */
export const MAX_TARGET_CHARS = 2048;

export interface Target {
  /** The decoded path. */
  path: string;
  query: URLSearchParams;
}

/** Decodes a percent-encoded path; throws a typed 400 for anything a person should be told about. */
export function decodePath(rawPath: string): string {
  if (!rawPath.startsWith('/')) throw badRequest('The address must be a path beginning with "/"');
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw badRequest('The address has malformed percent-encoding (a "%" not followed by two hexadecimal digits of valid UTF-8)');
  }
  if (/[\u0000-\u001f\u007f]/.test(path)) throw badRequest('The address contains control characters');
  if (path.includes('\\')) throw badRequest('The address contains a backslash');
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) throw badRequest('The address contains "." or ".." segments');
  return path;
}

/** Parses an HTTP request target (origin-form only: "/path?query"). */
export function parseTarget(raw: string): Target {
  if (raw.length > MAX_TARGET_CHARS) throw badRequest(`The address is too long (over ${MAX_TARGET_CHARS} characters)`, 414);
  if (raw.includes('#')) throw badRequest('The address contains a "#"');
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  return { path: decodePath(rawPath), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

export type Route =
  | { kind: 'operation'; name: OperationName }
  | { kind: 'upload'; uploadId: string }
  | { kind: 'events' }
  | { kind: 'image'; instanceId: number }
  /** /api/op/<name> naming no operation of this station (a page of another version): said as such, in the reader's language. */
  | { kind: 'unknownOperation'; name: string }
  /** Under /api/ or /dicom/ but none of the above. */
  | { kind: 'unknown' }
  /** A file of the renderer (or its page). */
  | { kind: 'page' };

/** Which route a decoded path names (the routes of common/api-names.ts httpRoute). */
export function routeOf(path: string): Route {
  let m = /^\/api\/op\/([A-Za-z]{1,64})$/.exec(path);
  if (m) return isOperationName(m[1]) ? { kind: 'operation', name: m[1] } : { kind: 'unknownOperation', name: m[1]! };
  m = /^\/api\/upload\/([0-9a-f]{24})$/.exec(path);
  if (m) return { kind: 'upload', uploadId: m[1]! };
  if (path === '/api/events') return { kind: 'events' };
  m = /^\/dicom\/([1-9]\d{0,14})$/.exec(path);
  if (m) return { kind: 'image', instanceId: Number(m[1]) };
  if (path === '/api' || path.startsWith('/api/') || path === '/dicom' || path.startsWith('/dicom/')) return { kind: 'unknown' };
  return { kind: 'page' };
}
