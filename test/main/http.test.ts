import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { startLoopbackHost } from '../../main/transport/http.ts';
import { HTTP_STATUS } from '../../main/transport/errors.ts';
import { asApiError } from '../../main/service/station.ts';
import type { ApiError } from '../../common/api.ts';
import type { LoopbackHost } from '../../main/transport/http.ts';
import type { StationService } from '../../main/service/station.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';

const RENDERER = path.join(ROOT, 'app', 'dist', 'renderer');
const SKIP_NO_RENDERER = fs.existsSync(path.join(RENDERER, 'index.html')) ? false : 'the renderer is not built (npm test builds it first)';

let station: StationService;
let host: LoopbackHost;

before(async () => {
  if (SKIP_NO_RENDERER) return;
  station = openTestStation();
  const dir = tempDir('http');
  writeScreeningExams(dir, 1);
  await station.handlers.importPaths({ paths: [dir] });
  host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
});
after(async () => {
  await host?.close();
  await station?.close();
});

const call = (op: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${host.url}api/op/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
/** How a script calls the API: the token header and the station's request header. */
const auth = () => ({ 'x-binome-token': host.token, 'x-binome-request': '1' });

test('the host listens on 127.0.0.1 only, on a random port', { skip: SKIP_NO_RENDERER }, () => {
  assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(host.port > 0);
  assert.ok(host.token.length >= 32);
});

test('every request without the token is refused: API, images, events and the renderer itself', { skip: SKIP_NO_RENDERER }, async () => {
  for (const [url, init] of [
    [`${host.url}api/op/appInfo`, { method: 'POST', body: '{}' }],
    [`${host.url}dicom/1`, {}],
    [`${host.url}api/events`, {}],
    [`${host.url}`, {}],
    [`${host.url}index.html`, {}],
  ] as const) {
    const res = await fetch(url, init);
    assert.equal(res.status, 401, url);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
  }
  const wrong = await call('appInfo', {}, { 'x-binome-token': 'not-the-token' });
  assert.equal(wrong.status, 401);
  const wrongUrl = await fetch(`${host.url}?token=nope`, { redirect: 'manual' });
  assert.equal(wrongUrl.status, 401);
});

test('the printed URL sets an HttpOnly cookie that then authorises the page and its images', { skip: SKIP_NO_RENDERER }, async () => {
  const first = await fetch(host.openUrl, { redirect: 'manual' });
  assert.equal(first.status, 303);
  const cookie = first.headers.get('set-cookie')!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await fetch(host.url, { headers: { cookie: cookie.split(';')[0]! } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
  assert.match(await page.text(), /<div id="root">/);
  const image = await fetch(`${host.url}dicom/1`, { headers: { cookie: cookie.split(';')[0]! } });
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'application/dicom');
  const bytes = new Uint8Array(await image.arrayBuffer());
  assert.equal(new TextDecoder().decode(bytes.subarray(128, 132)), 'DICM');
});

test('bad requests get typed errors and the host keeps serving', { skip: SKIP_NO_RENDERER }, async () => {
  const cases: [Response, number, string][] = [
    [await call('worklistQuery', '{not json', auth()), 400, 'bad_request'],
    [await call('worklistQuery', { limit: -1 }, auth()), 400, 'bad_request'],
    [await call('worklistQuery', { limit: 'ten' }, auth()), 400, 'bad_request'],
    [await call('worklistQuery', { sort: { field: 'DROP TABLE', direction: 'asc' } }, auth()), 400, 'bad_request'],
    [await call('examDetail', { examId: 99999 }, auth()), 404, 'not_found'],
    [await call('examDetail', {}, auth()), 400, 'bad_request'],
    [await call('examDetail', { examId: 1, extra: true }, auth()), 400, 'bad_request'],
    [await call('importPaths', { paths: [] }, auth()), 400, 'bad_request'],
    [await call('noSuchOperation', {}, auth()), 404, 'not_found'],
    [await call('pickImportPaths', { kind: 'folder' }, auth()), 501, 'unavailable'],
    [await fetch(`${host.url}api/op/appInfo`, { headers: auth() }), 405, 'bad_request'],
    [await fetch(`${host.url}dicom/424242`, { headers: auth() }), 404, 'not_found'],
    [await fetch(`${host.url}api/nothing`, { headers: auth() }), 404, 'not_found'],
    [await call('appInfo', 'x'.repeat(2 << 20), auth()), 413, 'too_large'],
    [await fetch(`${host.url}api/op/appInfo`, { method: 'POST', headers: { ...auth(), 'content-type': 'text/plain' }, body: '{}' }), 415, 'unsupported_media_type'],
    [await call('appInfo', {}, { 'x-binome-token': host.token }), 403, 'forbidden'],
  ];
  for (const [res, status, code] of cases) {
    assert.equal(res.status, status, res.url);
    const body = (await res.json()) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(body.ok, false);
    assert.equal(body.error.code, code);
    assert.ok(body.error.message.length > 0);
  }
  const message = ((await (await call('worklistQuery', { limit: -1 }, auth())).json()) as { error: { message: string } }).error.message;
  assert.match(message, /limit/);
  const ok = await call('appInfo', {}, auth());
  assert.equal(ok.status, 200);
  const info = ((await ok.json()) as { value: { transport: string; examCount: number } }).value;
  assert.deepEqual([info.transport, info.examCount], ['loopback-http', 1]);
});

test('an unknown operation over the loopback host carries the message key IPC gives it (error.unknownOperation), and an unknown address its own: the page says both in French too', { skip: SKIP_NO_RENDERER }, async () => {
  const unknownOp = (await (await call('exportExam', {}, auth())).json()) as { error: { code: string; key?: string; params?: Record<string, string> } };
  assert.deepEqual(unknownOp.error, { code: 'not_found', message: 'Unknown operation: exportExam', key: 'error.unknownOperation', params: { operation: 'exportExam' } });
  const res = await fetch(`${host.url}api/nothing`, { headers: auth() });
  assert.equal(res.status, 404);
  const noAddress = (await res.json()) as { error: { key?: string; params?: Record<string, string> } };
  assert.equal(noAddress.error.key, 'error.noSuchAddress');
  assert.equal(noAddress.error.params, undefined, 'no English words to put in the French sentence');
});

test('requests addressed to another host name are refused (DNS rebinding)', { skip: SKIP_NO_RENDERER }, async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, path: '/api/op/appInfo', method: 'POST', headers: { host: 'evil.example:80', 'x-binome-token': host.token } }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    req.end('{}');
  });
  assert.equal(status, 421);
  // a host name in capitals is the same host (browsers write it in lower case; a script may not, a probe)
  const upper = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, path: '/api/op/appInfo', method: 'POST', headers: { host: `LOCALHOST:${host.port}`, 'x-binome-token': host.token, 'x-binome-request': '1', 'content-type': 'application/json' } }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    req.end('{}');
  });
  assert.equal(upper, 200);
});

test('every answer carries the security headers and never a CORS header', { skip: SKIP_NO_RENDERER }, async () => {
  for (const res of [await fetch(host.url, { headers: auth() }), await call('appInfo', {}, auth()), await fetch(`${host.url}dicom/1`, { headers: auth() }),
    await fetch(`${host.url}dicom/424242`, { headers: auth() }), await fetch(host.url)]) {
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, res.url);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    await res.arrayBuffer();
  }
});

test('static paths cannot escape the renderer folder', { skip: SKIP_NO_RENDERER }, async () => {
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, path: '/../../package.json', headers: { 'x-binome-token': host.token } }, (r) => {
      let body = '';
      r.on('data', (c) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.status, 400);
  assert.ok(!res.body.includes('"better-sqlite3"'));
});

test('a full library disk answers 507 Insufficient Storage with its reason (it answered 501, "not implemented")', () => {
  for (const code of ['ENOSPC', 'SQLITE_FULL']) {
    const mapped = asApiError(Object.assign(new Error('full'), { code })) as ApiError;
    assert.equal(mapped.code, 'disk_full');
    assert.equal(mapped.key, 'error.diskFull');
    assert.equal(HTTP_STATUS[mapped.code], 507);
  }
});
