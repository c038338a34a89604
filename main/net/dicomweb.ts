// A DICOMweb client (Node's fetch): QIDO-RS to find a woman's studies, WADO-RS to fetch a study as
// multipart/related DICOM parts written to files as they arrive, STOW-RS to send a stored object.
// Every request has a deadline for its answer to begin and an idle limit while its body arrives;
// bodies are read with caps (a JSON answer, a part, a whole study) and free disk space is checked
// while parts are written, so that a broken or hostile server gives a PacsError with a code
// (common/pacs.ts PacsFailure) and a detail without patient data, never a crash or a full disk.
// Credentials (basic authentication) go in the Authorization header only; no URL, query or body
// is ever put in an error or the log (a query holds the Patient ID).

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PacsFailure } from '../../common/pacs.ts';
import { PacsError } from './pacs-error.ts';
import { DEFAULT_MULTIPART_LIMITS, MultipartError, MultipartParser, boundaryOf, mediaTypeOf } from './multipart.ts';

export interface DicomWebNode {
  baseUrl: string;
  username: string | null;
  password: string | null;
  timeoutSeconds: number;
}

export { PacsError } from './pacs-error.ts';

const TLS_CODES = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO)/;

/** What went wrong below fetch, as a failure code and a detail (an error code such as ECONNREFUSED: never a URL). */
function networkFailure(error: unknown, timedOut: boolean): PacsError {
  if (error instanceof PacsError) return error;
  if (timedOut) return new PacsError('timeout', null);
  const cause = (error as { cause?: { code?: unknown; name?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : null;
  if (code && TLS_CODES.test(code)) return new PacsError('tls', code);
  if (code && /^(UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|ETIMEDOUT)$/.test(code)) return new PacsError('timeout', code);
  // the connection closed or reset under the answer: the PACS went away (stopped, restarted, the network cut)
  if (code && /^(UND_ERR_SOCKET|UND_ERR_CLOSED|ECONNRESET|EPIPE)$/.test(code)) return new PacsError('unreachable', code);
  if (code && /^(UND_ERR_|HPE_)/.test(code)) return new PacsError('bad_response', code);
  return new PacsError('unreachable', code ?? (error as Error)?.name ?? null);
}

/** A failure for an HTTP status that is not the one hoped for. */
export function statusFailure(status: number): PacsError {
  const code: PacsFailure = status === 401 || status === 403 ? 'auth_refused'
    : status === 404 || status === 405 || status === 406 || status === 501 ? 'not_dicomweb'
      : status === 413 ? 'too_large'
        : status >= 500 || status === 408 || status === 429 ? 'server_error'
          : 'refused_by_pacs';
  return new PacsError(code, `HTTP ${status}`, status);
}

interface Call {
  response: Response;
  /** Resets the idle limit (call as body chunks arrive). */
  alive(): void;
  /** Ends the request (its body unread) and its timers. */
  close(): void;
  timedOut(): boolean;
}

/** Starts a request: `pathAndQuery` is appended to the node's base URL. */
async function call(node: DicomWebNode, pathAndQuery: string, init: { method?: string; headers: Record<string, string>; body?: Buffer; wholeMs?: number }, signal?: AbortSignal): Promise<Call> {
  const controller = new AbortController();
  let timedOut = false;
  const limitMs = node.timeoutSeconds * 1000;
  let timer = setTimeout(() => { timedOut = true; controller.abort(); }, limitMs);
  // `wholeMs`: the longest the whole answer may take (an answer dripped a byte at a time never
  // trips the idle limit, and held the woman's search, and those queued behind it, for hours)
  const whole = init.wholeMs === undefined ? null : setTimeout(() => { timedOut = true; controller.abort(); }, init.wholeMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const close = () => {
    clearTimeout(timer);
    if (whole) clearTimeout(whole);
    signal?.removeEventListener('abort', onAbort);
    if (!controller.signal.aborted) controller.abort();
  };
  const headers: Record<string, string> = { ...init.headers };
  if (node.username !== null && node.username !== '') {
    headers.authorization = `Basic ${Buffer.from(`${node.username}:${node.password ?? ''}`, 'utf8').toString('base64')}`;
  }
  try {
    const response = await fetch(`${node.baseUrl}${pathAndQuery}`, { method: init.method ?? 'GET', headers, body: init.body as unknown as RequestInit["body"], signal: controller.signal, redirect: 'manual' });
    // never followed (credentials and patient IDs go only where the clinic said): a redirect means the
    // base URL is not the DICOMweb service itself
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new PacsError('not_dicomweb', `redirected (HTTP ${response.status})`, response.status);
    }
    return {
      response,
      alive: () => { clearTimeout(timer); timer = setTimeout(() => { timedOut = true; controller.abort(); }, limitMs); },
      close,
      timedOut: () => timedOut,
    };
  } catch (error) {
    close();
    if (signal?.aborted) throw new PacsError('other', 'cancelled');
    throw networkFailure(error, timedOut);
  }
}

/** A response body's chunks (none where it has no body). */
async function* bodyChunks(response: Response): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Reads a whole body of at most `max` bytes. */
async function readCapped(c: Call, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of bodyChunks(c.response)) {
      c.alive();
      total += (chunk as Uint8Array).length;
      if (total > max) throw new PacsError('too_large', `answer over ${max} bytes`, c.response.status);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (error) {
    throw networkFailure(error, c.timedOut());
  } finally {
    c.close();
  }
  return Buffer.concat(chunks);
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;

type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function parseDicomJson(body: Buffer, status: number): DicomJson[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PacsError('not_dicomweb', `HTTP ${status}, not JSON`, status);
  }
  if (!Array.isArray(parsed) || parsed.some((o) => typeof o !== 'object' || o === null || Array.isArray(o))) {
    throw new PacsError('not_dicomweb', `HTTP ${status}, not a DICOM JSON array`, status);
  }
  return parsed as DicomJson[];
}

/** An attribute's values: none where the answer gives no array (a PACS's malformed JSON is not trusted). */
function valuesOf(o: DicomJson, tag: string): unknown[] {
  const v = o[tag]?.Value;
  return Array.isArray(v) ? v : [];
}

function stringValue(o: DicomJson, tag: string): string | null {
  const v = valuesOf(o, tag)[0];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && typeof (v as { Alphabetic?: unknown }).Alphabetic === 'string') return (v as { Alphabetic: string }).Alphabetic;
  return null;
}

function stringValues(o: DicomJson, tag: string): string[] {
  return valuesOf(o, tag).filter((v): v is string => typeof v === 'string');
}

/** The longest a JSON answer (a search, a test) may take in all: four times the node's timeout, at least a minute. */
function wholeAnswerMs(node: DicomWebNode): number {
  return Math.max(60_000, 4 * node.timeoutSeconds * 1000);
}

/** "Test connection": one QIDO-RS request for at most one study. Resolves with the HTTP status, or throws PacsError. */
export async function probe(node: DicomWebNode): Promise<number> {
  const c = await call(node, '/studies?limit=1', { headers: { accept: 'application/dicom+json' }, wholeMs: wholeAnswerMs(node) });
  const status = c.response.status;
  if (status === 204) { c.close(); return status; }
  if (status !== 200) { c.close(); throw statusFailure(status); }
  parseDicomJson(await readCapped(c, MAX_JSON_BYTES), status);
  return status;
}

export interface FoundStudy {
  studyUid: string;
  studyDate: string | null;
  modalities: string[];
  issuer: string | null;
  instances: number | null;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

/**
 * QIDO-RS: the studies of a Patient ID (exactly that ID: a wildcard in it matches nothing more),
 * with their modalities and Issuer of Patient ID. Studies of another issuer than `issuer` (where
 * both are known) are left out. `wholeMs`: the longest the whole answer may take.
 */
export async function findStudies(node: DicomWebNode, patientId: string, issuer: string, limit = 100, wholeMs = wholeAnswerMs(node)): Promise<FoundStudy[]> {
  const query = new URLSearchParams({ PatientID: patientId, limit: String(limit) });
  for (const field of ['00080020', '00080061', '00100021', '00201208']) query.append('includefield', field);
  const c = await call(node, `/studies?${query.toString()}`, { headers: { accept: 'application/dicom+json' }, wholeMs });
  const status = c.response.status;
  if (status === 204) { c.close(); return []; }
  if (status !== 200) { c.close(); throw statusFailure(status); }
  const found = parseDicomJson(await readCapped(c, MAX_JSON_BYTES), status);
  const out: FoundStudy[] = [];
  // no more than asked for (a PACS that ignores the limit does not make the station list 50,000 studies)
  for (const o of found.slice(0, limit)) {
    const studyUid = stringValue(o, '0020000D');
    if (!studyUid || !UID.test(studyUid) || studyUid.length > 64) continue;
    if (stringValue(o, '00100020') !== null && stringValue(o, '00100020') !== patientId) continue;
    const theirIssuer = stringValue(o, '00100021');
    if (issuer && theirIssuer && theirIssuer !== issuer) continue;
    const count = Number(stringValue(o, '00201208'));
    out.push({ studyUid, studyDate: stringValue(o, '00080020'), modalities: stringValues(o, '00080061'), issuer: theirIssuer, instances: Number.isFinite(count) && count > 0 ? count : null });
  }
  return out;
}

export interface RetrieveLimits {
  maxPartBytes: number;
  maxStudyBytes: number;
  /** Stop when the disk holding the files has less free space than this. */
  minFreeBytes: number;
  /** The longest a whole study may take. */
  maxSeconds: number;
}

export const DEFAULT_RETRIEVE_LIMITS: RetrieveLimits = { maxPartBytes: 2 * 1024 ** 3, maxStudyBytes: 16 * 1024 ** 3, minFreeBytes: 1024 ** 3, maxSeconds: 3600 };

async function freeBytes(dir: string): Promise<number> {
  try {
    const s = await fs.promises.statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * WADO-RS: a whole study as multipart/related DICOM parts, each written to a file of `dir` as it
 * arrives (the files are DICOM Part 10 as the server sent them). Returns the files written; on a
 * failure those already whole are kept in the error's `files` (the caller may import them) and the
 * unfinished one is removed.
 */
export async function retrieveStudy(node: DicomWebNode, studyUid: string, dir: string, limits: RetrieveLimits = DEFAULT_RETRIEVE_LIMITS,
  signal?: AbortSignal): Promise<{ files: string[]; bytes: number }> {
  if (!UID.test(studyUid)) throw new PacsError('bad_response', 'not a UID');
  const files: string[] = [];
  const c = await call(node, `/studies/${studyUid}`, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } }, signal);
  const deadline = setTimeout(() => c.close(), limits.maxSeconds * 1000);
  let current: { file: string; handle: fs.promises.FileHandle } | null = null;
  let bytes = 0;
  let sinceCheck = 0;
  try {
    const status = c.response.status;
    if (status === 204) return { files, bytes };
    if (status !== 200 && status !== 206) throw statusFailure(status);
    const contentType = c.response.headers.get('content-type');
    const media = mediaTypeOf(contentType);
    if (!media || media.type !== 'multipart/related') throw new PacsError('bad_response', `not multipart/related (${media?.type ?? 'no type'})`, status);
    const boundary = boundaryOf(contentType);
    if (!boundary) throw new PacsError('bad_response', 'multipart without a valid boundary', status);
    const parser = new MultipartParser(boundary, { ...DEFAULT_MULTIPART_LIMITS, maxPartBytes: limits.maxPartBytes });
    if (await freeBytes(dir) < limits.minFreeBytes) throw new PacsError('disk_full', null);
    const handle = async (events: ReturnType<MultipartParser['push']>) => {
      for (const e of events) {
        if (e.type === 'part') {
          const type = mediaTypeOf(e.headers['content-type'] ?? 'application/dicom')?.type;
          if (type !== 'application/dicom') throw new PacsError('bad_response', `a part is ${type ?? 'of no valid type'}, not application/dicom`, status);
          const file = path.join(dir, `${String(files.length).padStart(6, '0')}-${randomBytes(3).toString('hex')}.dcm`);
          current = { file, handle: await fs.promises.open(file, 'wx') };
        } else if (e.type === 'data') {
          bytes += e.chunk.length;
          sinceCheck += e.chunk.length;
          if (bytes > limits.maxStudyBytes) throw new PacsError('too_large', `study over ${limits.maxStudyBytes} bytes`, status);
          if (sinceCheck > 64 * 1024 * 1024) {
            sinceCheck = 0;
            if (await freeBytes(dir) < limits.minFreeBytes) throw new PacsError('disk_full', null);
          }
          await current!.handle.write(e.chunk);
        } else if (e.type === 'endPart') {
          const done = current!;
          current = null;
          await done.handle.close();
          if (e.bytes > 0) files.push(done.file);
          else await fs.promises.rm(done.file, { force: true });
        }
      }
    };
    try {
      for await (const chunk of bodyChunks(c.response)) {
        c.alive();
        await handle(parser.push(Buffer.from(chunk as Uint8Array)));
        if (parser.done) break;
      }
      if (!parser.done) parser.end();
    } catch (error) {
      if (error instanceof PacsError) throw error;
      if (error instanceof MultipartError) throw new PacsError(error.code === 'too_large' ? 'too_large' : 'bad_response', error.message, status);
      const code = (error as NodeJS.ErrnoException)?.code;
      if (code === 'ENOSPC') throw new PacsError('disk_full', null);
      if (code && /^E[A-Z]+$/.test(code) && !/^(ECONNRESET|EPIPE|ECONNREFUSED|ETIMEDOUT)$/.test(code)) throw new PacsError('other', code);
      throw networkFailure(error, c.timedOut());
    }
    return { files, bytes };
  } catch (error) {
    throw Object.assign(error instanceof PacsError ? error : networkFailure(error, c.timedOut()), { files });
  } finally {
    clearTimeout(deadline);
    c.close();
    const left = current as { file: string; handle: fs.promises.FileHandle } | null;
    if (left) {
      await left.handle.close().catch(() => undefined);
      await fs.promises.rm(left.file, { force: true });
    }
  }
}

/** The files a failed retrieval had written whole. */
export function filesOf(error: unknown): string[] {
  return (error as { files?: string[] })?.files ?? [];
}

const MAX_STOW_ANSWER = 4 * 1024 * 1024;

/**
 * STOW-RS: sends one DICOM Part 10 file's bytes, unchanged, to the node's /studies. Resolves when the
 * PACS stored it; throws PacsError ('refused_by_pacs' with the PACS's Failure Reason where it
 * said it did not store it).
 */
export async function storeInstance(node: DicomWebNode, part10: Buffer, signal?: AbortSignal): Promise<{ httpStatus: number; warning: boolean }> {
  const boundary = `binome-${randomBytes(12).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\nContent-Length: ${part10.length}\r\n\r\n`, 'latin1'),
    part10,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
  const c = await call(node, '/studies', {
    method: 'POST',
    headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
    body,
  }, signal);
  const status = c.response.status;
  let answer: DicomJson | null = null;
  try {
    const text = await readCapped(c, MAX_STOW_ANSWER);
    const parsed = text.length ? JSON.parse(text.toString('utf8')) as unknown : null;
    if (parsed && typeof parsed === 'object') answer = (Array.isArray(parsed) ? parsed[0] : parsed) as DicomJson;
  } catch (error) {
    if (error instanceof PacsError && (error.code === 'timeout' || error.code === 'unreachable')) throw error;
    answer = null; // an answer that is not DICOM JSON: the status decides
  }
  const failed = answer?.['00081198']?.Value;
  if (Array.isArray(failed) && failed.length) {
    const reason = stringValue((failed[0] ?? {}) as DicomJson, '00081197');
    throw new PacsError('refused_by_pacs', `HTTP ${status}${reason ? `, failure reason ${reason}` : ''}`, status);
  }
  if (status === 200) return { httpStatus: status, warning: false };
  if (status === 202) return { httpStatus: status, warning: true };
  throw statusFailure(status);
}
