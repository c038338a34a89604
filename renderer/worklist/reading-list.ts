// The reading list: the worklist as the reader last sorted and filtered it, so that the viewer's
// next and previous exam keys follow that order. The worklist page records its query and the page
// of exam ids it shows; the viewer steps through them and fetches the neighbouring page when it
// reaches an edge. Kept in sessionStorage so that a reload of the viewer keeps its place.

import type { ApiClient, OperationInput } from '../../common/api.ts';

export type ReadingQuery = Pick<NonNullable<OperationInput<'worklistQuery'>>, 'filter' | 'sort'>;

interface ReadingListState {
  query: ReadingQuery;
  /** Exam ids of the page the list holds, from `offset`. */
  ids: number[];
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
export function rememberWorklist(query: ReadingQuery, ids: number[], offset: number, total: number): void {
  save({ query, ids, offset, total });
}

/**
 * The exam after (or before) `examId` in the reader's worklist order; null at either end. When the
 * viewer was opened without the worklist (a link), the default worklist order is used.
 */
export async function neighbourExam(api: ApiClient, examId: number, direction: 1 | -1): Promise<number | null> {
  let state = current ?? load() ?? { query: { filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' } }, ids: [], offset: 0, total: Infinity };
  let index = state.ids.indexOf(examId);
  if (index < 0) {
    // not on the page remembered (the list changed, or a link): look for it from the top, a few pages at most
    for (let offset = 0; offset < 20 * PAGE && offset < state.total; offset += PAGE) {
      const page = await api.worklistQuery({ ...state.query, offset, limit: PAGE });
      state = { ...state, ids: page.rows.map((r) => r.examId), offset, total: page.total };
      index = state.ids.indexOf(examId);
      if (index >= 0) break;
    }
    if (index < 0) return null;
  }
  const target = index + direction;
  if (target >= 0 && target < state.ids.length) {
    save(state);
    return state.ids[target]!;
  }
  const offset = state.offset + target;
  if (offset < 0 || offset >= state.total) return null;
  const pageOffset = Math.max(0, direction > 0 ? state.offset + state.ids.length : state.offset - PAGE);
  const page = await api.worklistQuery({ ...state.query, offset: pageOffset, limit: PAGE });
  const next = { ...state, ids: page.rows.map((r) => r.examId), offset: pageOffset, total: page.total };
  save(next);
  return next.ids[offset - pageOffset] ?? null;
}
