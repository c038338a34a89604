// What every domain's handlers share: the library's parts, the event streams, and the station's
// lifecycle (new writes refused once it is closing; long tasks tracked so that close can wait).

import type { LibraryPaths } from '../base/library.ts';
import type { LibraryDatabase } from '../db/library-database.ts';
import type { StoreLayout } from '../dicom/store.ts';
import type { Importer, ImportOptions } from '../import/importer.ts';
import type { UploadStaging } from '../import/uploads.ts';
import type { StationEvents } from './events.ts';

/** Who reads at this station: one reader until the station knows accounts (the audit log's actor, the first impression's reader). */
export const LOCAL_READER = 'local-user';

export interface StationContext {
  readonly paths: LibraryPaths;
  readonly db: LibraryDatabase;
  readonly store: StoreLayout;
  readonly importer: Importer;
  readonly uploads: UploadStaging;
  readonly events: StationEvents;
  readonly version: string;
  readonly runtime: string;
  /** Import options with this station's progress events, cancellation on close, and its settings: a reader's import. */
  importOptions(): ImportOptions;
  /**
   * The same without progress events: what the station imports by itself (from a modality, a PACS,
   * its own CAD SRs, its demo). The worklist shows progress as a reader's import and disables its
   * Import buttons meanwhile: an AI analysis ending showed "Importing: 0 of 1 files" (a probe).
   */
  backgroundImportOptions(): ImportOptions;
  /** Runs a long task so that close() can wait for it to reach a safe point. */
  track<T>(task: Promise<T>): Promise<T>;
  /** Throws 'busy' once the station is closing. */
  assertOpen(): void;
}
