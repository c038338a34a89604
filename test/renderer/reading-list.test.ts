// "Mark read, then next exam" goes to the next exam not read yet in the worklist's order: the
// default filter lists every status, and it opened a read prior (a probe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient } from '../../common/api.ts';
import type { ExamStatus } from '../../common/domain.ts';
import { firstUnreadFromTop, neighbourExam, noteExamStatus, rememberWorklist } from '../../renderer/worklist/reading-list.ts';

const query = { filter: { scope: 'breast' as const }, sort: { field: 'studyDate' as const, direction: 'desc' as const } };

/** A worklist of `statuses.length` exams (ids from 1), served in pages as the station does. */
function worklist(statuses: ExamStatus[]): { api: ApiClient; rows: { examId: number; status: ExamStatus }[]; asked: number[] } {
  const rows = statuses.map((status, i) => ({ examId: i + 1, status }));
  const asked: number[] = [];
  const api = {
    worklistQuery: async ({ offset = 0, limit = 50 }: { offset?: number; limit?: number }) => {
      asked.push(offset);
      return { total: rows.length, offset, rows: rows.slice(offset, offset + limit) };
    },
  } as unknown as ApiClient;
  return { api, rows, asked };
}

test('the next exam not read, passing over the read ones; plain next walks every row', async () => {
  const { api, rows } = worklist(['new', 'read', 'read', 'in_progress', 'read']);
  rememberWorklist(query, rows, 0, rows.length);
  assert.equal(await neighbourExam(api, 1, 1), 2);
  assert.equal(await neighbourExam(api, 1, 1, { unread: true }), 4);
  assert.equal(await neighbourExam(api, 4, 1, { unread: true }), null, 'only read exams after it: the end');
  assert.equal(await neighbourExam(api, 4, -1, { unread: true }), 1);
  // the one she just marked read is passed over too (the station has it read; the page kept says so too)
  rows[3]!.status = 'read';
  noteExamStatus(4, 'read');
  assert.equal(await neighbourExam(api, 1, 1, { unread: true }), null);
});

test('past the page the worklist showed: the next page is fetched with its statuses', async () => {
  const statuses: ExamStatus[] = Array.from({ length: 120 }, (_, i) => (i >= 40 && i < 105 ? 'read' : 'new'));
  const { api, rows, asked } = worklist(statuses);
  rememberWorklist(query, rows.slice(0, 50), 0, rows.length);
  assert.equal(await neighbourExam(api, 40, 1, { unread: true }), 106);
  // the page kept asked again (its statuses), then the order from where it began (past its rows: in the
  // triage order the rows read on it went below), then the next ones
  assert.deepEqual(asked, [0, 0, 50, 100]);
});

test('nothing unread left below: the first exam not read from the top of the list, never the one open; none when all are read', async () => {
  const { api, rows } = worklist(['read', 'new', 'read', 'in_progress', 'read']);
  rememberWorklist(query, rows, 0, rows.length);
  assert.equal(await neighbourExam(api, 4, 1, { unread: true }), null);
  assert.equal(await firstUnreadFromTop(api, 4), 2, 'the exam passed over, higher in the list');
  assert.equal(await firstUnreadFromTop(api, 2), 4);
  rows[1]!.status = 'read';
  assert.equal(await firstUnreadFromTop(api, 4), null, 'the open exam itself is not where it goes');
  rows[3]!.status = 'read';
  assert.equal(await firstUnreadFromTop(api, 4), null);
  // past the first page
  const many = worklist(Array.from({ length: 120 }, (_, i): ExamStatus => (i === 110 ? 'new' : 'read')));
  rememberWorklist(query, many.rows.slice(0, 50), 0, many.rows.length);
  assert.equal(await firstUnreadFromTop(many.api, 5), 111);
  assert.deepEqual(many.asked, [0, 50, 100]);
});

test('the page kept is asked again before walking to the next exam not read: one read meanwhile (another window, another reader) is passed over', async () => {
  const { api, rows } = worklist(['new', 'new', 'new', 'read']);
  rememberWorklist(query, rows, 0, rows.length);
  rows[1]!.status = 'read'; // in another window: the page kept still says 'new'
  assert.equal(await neighbourExam(api, 1, 1, { unread: true }), 3);
  rows[2]!.status = 'read';
  assert.equal(await neighbourExam(api, 1, 1, { unread: true }), null);
  // plain next walks every row, as kept
  assert.equal(await neighbourExam(api, 1, 1), 2);
});

test('in the triage order, the exam just read moves below those to read: the next exam not read is the one after it in the order she read from, not after where it went', async () => {
  const { api, rows } = worklist(['new', 'new', 'new', 'new', 'read']);
  const triage = { filter: { scope: 'breast' as const }, sort: { field: 'aiScore' as const, direction: 'desc' as const } };
  rememberWorklist(triage, rows, 0, rows.length);
  // exam 1, the highest score, read: the station lists it after the exams to read, with the read one
  const read = rows.splice(0, 1)[0]!;
  read.status = 'read';
  rows.splice(3, 0, read); // 2, 3, 4, 1, 5
  noteExamStatus(1, 'read');
  assert.equal(await neighbourExam(api, 1, 1, { unread: true }), 2, 'the next highest score (it went to 5, past 2, 3 and 4: a probe)');
});

test('in the triage order, past the page kept: after the exams of one page read from the top, the next not read is the first of the next page as it stands now, not the one at its old offset', async () => {
  // 120 exams by score, those read listed after those to read (as the station's triage sort)
  const statuses = new Map<number, ExamStatus>(Array.from({ length: 120 }, (_, i) => [i + 1, 'new']));
  const api = {
    worklistQuery: async ({ offset = 0, limit = 50 }: { offset?: number; limit?: number }) => {
      const ids = [...statuses.keys()].sort((a, b) => Number(statuses.get(a) === 'read') - Number(statuses.get(b) === 'read') || a - b);
      return { total: ids.length, offset, rows: ids.slice(offset, offset + limit).map((examId) => ({ examId, status: statuses.get(examId)! })) };
    },
  } as unknown as ApiClient;
  const triage = { filter: { scope: 'breast' as const }, sort: { field: 'aiScore' as const, direction: 'desc' as const } };
  const first = await api.worklistQuery({ offset: 0, limit: 50 });
  rememberWorklist(triage, first.rows, 0, first.total);
  // she reads 1 to 50, "mark read, then next" each time
  let at = 1;
  for (let n = 1; n <= 50; n++) {
    statuses.set(at, 'read');
    noteExamStatus(at, 'read');
    at = (await neighbourExam(api, at, 1, { unread: true }))!;
  }
  assert.equal(at, 51, 'the 51st, not the 101st (a probe)');
  statuses.set(51, 'read');
  noteExamStatus(51, 'read');
  assert.equal(await neighbourExam(api, 51, 1, { unread: true }), 52);
});
