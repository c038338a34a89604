// What the renderer calls: the API contract (common/api.ts) plus the few things whose means differ
// by transport — bringing the user's files in (paths the user granted on the desktop, uploads in a
// browser) — behind one interface, so that no component ever asks which transport it has.

import type { ApiClient } from '../../common/api.ts';
import type { ImportSummary } from '../../common/domain.ts';

export type ImportProgressCallback = (done: number, total: number) => void;

/** What the user dropped: the top-level items as the system gave them, and a way to list every file in them. */
export interface Drop {
  topLevel: File[];
  allFiles(): Promise<File[]>;
}

export type StationApi = ApiClient & {
  /** Imports what the user dropped on the page (files and folders). */
  importDrop(drop: Drop, onProgress: ImportProgressCallback): Promise<ImportSummary>;
  /**
   * Lets the user choose files or a folder, then imports them; null when the user cancelled. Call it
   * straight from the click handler: a browser opens its file chooser only during a user gesture.
   */
  chooseAndImport(kind: 'folder' | 'files', onProgress: ImportProgressCallback): Promise<ImportSummary | null>;
  /** Whether a typed path can be imported (a browser page on this computer can name paths; a desktop window imports only what the user chose). */
  readonly acceptsTypedPaths: boolean;
};

/** Adds up the summaries of an import done in parts (uploads in chunks, paths in chunks). */
export function addSummaries(parts: ImportSummary[]): ImportSummary {
  const total: ImportSummary = { jobId: 0, status: 'done', filesSeen: 0, imported: 0, duplicates: 0, rejected: 0, skipped: 0, ignored: 0, bytes: 0, seconds: 0,
    examsTouched: 0, incompleteExams: 0, duplicateFiles: [], skippedFiles: [], problems: [] };
  for (const p of parts) {
    total.jobId = p.jobId;
    if (p.status !== 'done') total.status = p.status;
    for (const k of ['filesSeen', 'imported', 'duplicates', 'rejected', 'skipped', 'ignored', 'bytes', 'seconds', 'examsTouched', 'incompleteExams'] as const) total[k] += p[k];
    total.duplicateFiles.push(...p.duplicateFiles);
    total.skippedFiles.push(...p.skippedFiles);
    total.problems.push(...p.problems);
  }
  return total;
}
