import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, OPERATION_NAMES, operations, parseOperationInput } from '../../common/api.ts';
import { en, fr, translate, translateCount } from '../../common/i18n/messages.ts';
import { IMPORT_PROBLEM_CODES, describeProblem } from '../../common/import-problems.ts';
import { dispatch } from '../../main/transport/dispatch.ts';
import type { ApiHandlers } from '../../common/api.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';

test('inputs are validated, defaults filled, unknown fields refused', () => {
  const q = parseOperationInput('worklistQuery', {});
  assert.deepEqual(q, { filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 50 });
  for (const bad of [{ limit: 0 }, { limit: 501 }, { offset: -1 }, { sort: { field: 'x', direction: 'asc' } }, { filter: { dateFrom: '2024-01-01' } }, { what: 1 }, null, 'text', [1]]) {
    assert.throws(() => parseOperationInput('worklistQuery', bad as never), (e: unknown) => e instanceof ApiError && e.code === 'bad_request', JSON.stringify(bad));
  }
  assert.throws(() => parseOperationInput('finishUpload', { uploadId: '../../etc' }), ApiError);
  assert.throws(() => parseOperationInput('worklistQuery', { filter: { scope: 'ct' } }), ApiError);
  assert.throws(() => parseOperationInput('setExamStatus', { examId: 1, status: 'signed' }), ApiError);
});

test('a refused input carries a message key, so the page says it in French too, zod\'s detail kept after it', async () => {
  const handlers = { examDetail: async () => { throw new Error('not reached'); } } as unknown as ApiHandlers;
  const envelope = await dispatch(handlers, 'examDetail', { examId: 'seven' }) as { ok: false; error: { code: string; message: string; key?: MessageKey; params?: Record<string, string> } };
  assert.equal(envelope.error.code, 'bad_request');
  assert.match(envelope.error.message, /^Invalid input for examDetail: examId: /);
  assert.equal(envelope.error.key, 'error.invalidInput');
  const detail = envelope.error.params!.detail!;
  assert.match(detail, /^examId: /);
  assert.equal(translate('fr', envelope.error.key!, envelope.error.params),
    `La station a refusé une demande (examDetail) dont elle ne peut pas prendre les données\u202f: ${detail}`);
  assert.equal(translate('en', envelope.error.key!, envelope.error.params), `The station refused a request (examDetail) whose data it cannot take: ${detail}`);
});

test('an unknown operation carries a message key, so the page says it in French too; the name as it can be shown (no control or direction characters), cut short', async () => {
  const envelope = await dispatch({} as ApiHandlers, 'exportExam', {}) as { ok: false; error: { code: string; key?: MessageKey; params?: Record<string, string> } };
  assert.equal(envelope.error.code, 'not_found');
  assert.equal(envelope.error.key, 'error.unknownOperation');
  assert.equal(translate('en', envelope.error.key!, envelope.error.params),
    'The station does not know the operation “exportExam”: the page and the station may be of different versions (reload the page).');
  assert.equal(translate('fr', envelope.error.key!, envelope.error.params),
    'La station ne connaît pas l’opération «\u202fexportExam\u202f»\u202f: la page et la station sont peut-être de versions différentes (rechargez la page).');
  const odd = await dispatch({} as ApiHandlers, `a\u202eb\u0007${'x'.repeat(100)}`, {}) as { ok: false; error: { params?: Record<string, string> } };
  const shown = odd.error.params!.operation!;
  assert.doesNotMatch(shown, /[\u202e\u0007]/u);
  assert.ok(shown.startsWith('a<U+202E>b<U+0007>x'), shown);
  assert.ok(shown.length < 100, 'cut short');
});

test('the operation table and its name list agree', () => {
  assert.deepEqual(Object.keys(operations).sort(), [...OPERATION_NAMES].sort());
});

test('dispatch turns every failure into an envelope: unknown names, bad input, handler crashes', async () => {
  const handlers = {
    appInfo: async () => { throw new Error('boom with patient name DOE^JANE'); },
    examDetail: async () => { throw new ApiError('not_found', 'No exam 7'); },
  } as unknown as ApiHandlers;
  assert.deepEqual(await dispatch(handlers, 'nope', {}), { ok: false, error: { code: 'not_found', message: 'Unknown operation: nope', key: 'error.unknownOperation', params: { operation: 'nope' } } });
  assert.deepEqual(await dispatch(handlers, { toString: null }, {}), { ok: false, error: { code: 'not_found', message: 'Unknown operation: object', key: 'error.unknownOperation', params: { operation: 'object' } } });
  assert.equal((await dispatch(handlers, 'examDetail', { examId: -3 }) as { error: { code: string } }).error.code, 'bad_request');
  assert.deepEqual(await dispatch(handlers, 'examDetail', { examId: 7 }), { ok: false, error: { code: 'not_found', message: 'No exam 7' } });
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write;
  let crashed;
  try {
    crashed = await dispatch(handlers, 'appInfo', {});
  } finally {
    process.stderr.write = write;
  }
  assert.ok(written.some((l) => l.includes('operation appInfo failed: Error')), 'the failure is logged');
  assert.ok(!written.join('').includes('DOE^JANE'), 'without the data its message quoted');
  assert.deepEqual(crashed, { ok: false, error: { code: 'internal', message: 'Internal error; see the application log', key: 'error.internal' } });
});

test('French has every English message, with the same placeholders', () => {
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(params(fr[key]), params(en[key]), key);
    assert.ok(fr[key].length > 0, key);
  }
  assert.equal(translate('fr', 'import.progress', { done: 3, total: 10 }), 'Import\u202f: 3 fichiers sur 10');
  assert.equal(translateCount('en', 'worklist.count', 9, { shown: 5, total: 9 }), '5 of 9 exams');
  assert.equal(translateCount('en', 'worklist.count', 1, { shown: 1, total: 1 }), '1 of 1 exam');
  assert.equal(translateCount('fr', 'worklist.count', 1, { shown: 1, total: 1 }), '1 examen sur 1');
  assert.equal(translateCount('fr', 'worklist.count', 5, { shown: 5, total: 9 }), '5 examens sur 9');
});

test('French punctuation: a narrow no-break space before ":", ";", "!" and "?", never a plain or no space', () => {
  const anyParam = new Proxy({}, { has: () => true, get: () => 'X' }) as Record<string, string>;
  const catalogues: [string, Record<string, string>][] = [['messages', fr], ['import problems', Object.fromEntries(IMPORT_PROBLEM_CODES.map((c) => [c, describeProblem('fr', { code: c, params: anyParam })]))]];
  for (const [name, catalogue] of catalogues) {
    for (const [key, text] of Object.entries(catalogue)) {
      // ':' inside "{placeholders}" or a time is not punctuation; strip placeholders first
      const prose = text.replace(/\{\w+\}/g, 'X');
      // a ratio ("1:1") is not punctuation
      for (const m of prose.matchAll(/(.)([:;!?])(?!\d)/g)) {
        assert.equal(m[1], '\u202f', `${name} ${key}: "${text}" needs U+202F before "${m[2]}"`);
      }
    }
  }
});

test('French numbers and their units: a no-break space between them (U+00A0 or U+202F), never a plain one', () => {
  // "58 ans" broke between 58 and "ans" in a narrow title (a probe read the worklist's and viewer's ages)
  const units = 'ans?|mois|mm|cm|Mo|Go|ko|s|min|h|%|px';
  for (const [key, text] of Object.entries(fr)) {
    for (const m of text.matchAll(new RegExp(`(\\d|\\{\\w+\\})( )(${units})(?![\\p{L}])`, 'gu'))) {
      assert.fail(`messages ${key}: "${text}" has a plain space between "${m[1]}" and "${m[3]}"`);
    }
  }
});

test('every import problem code has an English and a French sentence', () => {
  for (const code of IMPORT_PROBLEM_CODES) {
    assert.notEqual(describeProblem('en', { code }), code);
    assert.notEqual(describeProblem('fr', { code }), describeProblem('en', { code }), code);
  }
});

test('an uploaded file\'s label: control characters replaced, at most 1024 characters keeping the file\'s own name', async () => {
  const { uploadLabel, MAX_UPLOAD_NAME } = await import('../../common/api.ts');
  assert.equal(uploadLabel('dir/new\nline\t.dcm'), 'dir/new\ufffdline\ufffd.dcm');
  // characters that reorder what follows them, and C1 controls: written as U+FFFD too (the loopback host refuses them)
  assert.equal(uploadLabel('RCC\u202emcd.exe'), 'RCC\ufffdmcd.exe');
  assert.equal(uploadLabel('a\u2066b\u2069c\u200e\u200f\u061c\u2028\u2029\u202a\u009bd'), 'a\ufffdb\ufffdc\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffdd');
  assert.equal(uploadLabel(''), 'upload');
  const long = uploadLabel(`${'a'.repeat(5000)}/RCC.dcm`);
  assert.equal(long.length, MAX_UPLOAD_NAME);
  assert.ok(long.startsWith('…') && long.endsWith('/RCC.dcm'));
});
