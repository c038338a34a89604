// The reading list: the worklist as the reader last sorted and filtered it, so that the viewer's
// next and previous exam keys follow that order. The worklist page records its query and the page
// of exam ids it shows; the viewer steps through them and fetches the neighbouring page when it
// reaches an edge. Kept in sessionStorage so that a reload of the viewer keeps its place.
// "Mark read, then next exam" goes to the next exam not read yet: the list holds each exam's status
// too (the default filter lists every status, the priors imported as read among them, and it opened
// a read prior and asked for a first impression: a probe).

import type { ApiClient, OperationInput } from '../../common/api.ts';
import type { ExamStatus } from '../../common/domain.ts';

export type ReadingQuery = Pick<NonNullable<OperationInput<'worklistQuery'>>, 'filter' | 'sort'>;

interface ReadingListState {
  query: ReadingQuery;
  /** Exam ids of the page the list holds, from `offset`. */
  ids: number[];
  /** Their statuses as listed (absent in a list kept by an older page). */
  statuses?: ExamStatus[];
  offset: number;
  total: number;
}

const KEY = 'binome.readingList';
const PAGE = 50;

function load(): ReadingListState | null {
  try {
    const text = sessionStorage.getItem(KEY);
    return text ? (JSON.parse(text) as ReadingListState) : null;
  } catch {
    return null;
  }
}

function save(state: ReadingListState): void {
  try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch { /* private mode: the list lives as long as the page */ }
  current = state;
}

let current: ReadingListState | null = null;

/** The worklist as it opens: breast imaging, the newest first. */
const DEFAULT_QUERY: ReadingQuery = { filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' } };

/** A page of the worklist as the reading list keeps it: its rows' exams and statuses, where it starts, and the list's length. */
function pageState(query: ReadingQuery, rows: readonly { examId: number; status: ExamStatus }[], offset: number, total: number): ReadingListState & { statuses: ExamStatus[] } {
  return { query, ids: rows.map((r) => r.examId), statuses: rows.map((r) => r.status), offset, total };
}

const OPENED_KEY = 'binome.openedExam';

/** The viewer calls this with the exam it shows: back in the worklist, that row has the keyboard's focus. */
export function rememberOpenedExam(examId: number): void {
  try { sessionStorage.setItem(OPENED_KEY, String(examId)); } catch { /* private mode: the worklist starts at its top */ }
}

/** The exam the viewer showed last in this window, or null. */
export function openedExam(): number | null {
  try {
    const id = Number(sessionStorage.getItem(OPENED_KEY));
    return Number.isInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}

/** The query and page the reader last had (the viewer may have moved on a page): the worklist opens on them again. */
export function rememberedWorklist(): { query: ReadingQuery; offset: number } | null {
  const state = current ?? load();
  return state ? { query: state.query, offset: state.offset } : null;
}

/** The worklist page calls this with what it shows. */
export function rememberWorklist(query: ReadingQuery, rows: readonly { examId: number; status: ExamStatus }[], offset: number, total: number): void {
  save(pageState(query, rows, offset, total));
}

/** The viewer changed an exam's status: the list knows it (a "next not read" walks past it once read). */
export function noteExamStatus(examId: number, status: ExamStatus): void {
  const state = current ?? load();
  const index = state?.ids.indexOf(examId) ?? -1;
  if (!state || index < 0) return;
  const statuses = state.ids.map((_, i) => state.statuses?.[i] ?? 'new');
  statuses[index] = status;
  save({ ...state, statuses });
}

/**
 * The exam after (or before) `examId` in the reader's worklist order; null at either end. When the
 * viewer was opened without the worklist (a link), the default worklist order is used. `unread`:
 * the next one not read, passing over the exams read (null when none is left that way).
 */
export async function neighbourExam(api: ApiClient, examId: number, direction: 1 | -1, options: { unread?: boolean } = {}): Promise<number | null> {
  let from = examId;
  // the statuses of the page kept are asked again: read meanwhile in another window or by another
  // reader, an exam was gone to as unread (a probe); the pages fetched later are fresh already
  if (options.unread) await refreshPage(api).catch(() => undefined); // not answered: the statuses kept
  // at most the whole list (each step moves one row; a page fetched per 50 rows passed over)
  for (let passed = 0; passed <= MAX_WALK; passed++) {
    const kept = current ?? load();
    if (options.unread && direction > 0 && kept && kept.ids.at(-1) === from && kept.offset + kept.ids.length < kept.total) return nextUnreadPastPage(api, kept);
    const next = await step(api, from, direction);
    if (next === null) return null;
    if (!options.unread || next.status !== 'read') return next.examId;
    from = next.examId;
  }
  return null;
}

const MAX_WALK = 20 * PAGE;

/**
 * The next exam not read past the page kept, walking on from its last row: the order asked again from
 * where the page began, its own rows passed over. Not the next page at its old offset: in the triage
 * order the exams read on the page went below those to read, and the next page began that many rows
 * earlier (after 50 exams read from the top, the next opened was the 101st: a probe).
 */
async function nextUnreadPastPage(api: ApiClient, kept: ReadingListState): Promise<number | null> {
  const passed = new Set(kept.ids);
  for (let offset = kept.offset, total = kept.total; offset < kept.offset + MAX_WALK && offset < total; offset += PAGE) {
    const page = await api.worklistQuery({ ...kept.query, offset, limit: PAGE });
    total = page.total;
    const found = page.rows.find((r) => !passed.has(r.examId) && r.status !== 'read');
    if (found) {
      save(pageState(kept.query, page.rows, offset, page.total));
      return found.examId;
    }
    if (!page.rows.length) break;
  }
  return null;
}

/**
 * The statuses of the reading list's page kept, as the library has them now; its order kept. The
 * order fetched again moved the exam just read (the triage sort lists the exams read after those to
 * read), and "next" from where it went passed over every exam between: in the AI score's order it
 * opened one of the last rows, not the next highest score (a probe).
 */
async function refreshPage(api: ApiClient): Promise<void> {
  const state = current ?? load();
  if (!state) return;
  const page = await api.worklistQuery({ ...state.query, offset: state.offset, limit: PAGE });
  const now = new Map(page.rows.map((r) => [r.examId, r.status]));
  save({ ...state, statuses: state.ids.map((id, i) => now.get(id) ?? state.statuses?.[i] ?? 'new') });
}

/**
 * The first exam not read from the top of the reading list, other than `examId`: where "mark read,
 * then next" goes once nothing unread is left below (exams passed over earlier, higher in the list,
 * are still to read; it said "no exam left to read" over them: a probe). Null when none is.
 */
export async function firstUnreadFromTop(api: ApiClient, examId: number): Promise<number | null> {
  const query = (current ?? load())?.query ?? DEFAULT_QUERY;
  for (let offset = 0, total = Infinity; offset < MAX_WALK && offset < total; offset += PAGE) {
    const page = await api.worklistQuery({ ...query, offset, limit: PAGE });
    total = page.total;
    const found = page.rows.find((r) => r.examId !== examId && r.status !== 'read');
    if (found) {
      save(pageState(query, page.rows, offset, total));
      return found.examId;
    }
    if (!page.rows.length) break;
  }
  return null;
}

async function step(api: ApiClient, examId: number, direction: 1 | -1): Promise<{ examId: number; status: ExamStatus | undefined } | null> {
  let state = current ?? load() ?? pageState(DEFAULT_QUERY, [], 0, Infinity);
  let index = state.ids.indexOf(examId);
  if (index < 0) {
    // not on the page remembered (the list changed, or a link): look for it from the top, a few pages at most
    for (let offset = 0; offset < 20 * PAGE && offset < state.total; offset += PAGE) {
      const page = await api.worklistQuery({ ...state.query, offset, limit: PAGE });
      state = pageState(state.query, page.rows, offset, page.total);
      index = state.ids.indexOf(examId);
      if (index >= 0) break;
    }
    if (index < 0) return null;
  }
  const target = index + direction;
  if (target >= 0 && target < state.ids.length) {
    save(state);
    return { examId: state.ids[target]!, status: state.statuses?.[target] };
  }
  const offset = state.offset + target;
  if (offset < 0 || offset >= state.total) return null;
  const pageOffset = Math.max(0, direction > 0 ? state.offset + state.ids.length : state.offset - PAGE);
  const page = await api.worklistQuery({ ...state.query, offset: pageOffset, limit: PAGE });
  const next = pageState(state.query, page.rows, pageOffset, page.total);
  save(next);
  const id = next.ids[offset - pageOffset];
  return id === undefined ? null : { examId: id, status: next.statuses[offset - pageOffset] };
}
