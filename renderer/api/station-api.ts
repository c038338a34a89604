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
