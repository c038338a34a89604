import type { MissingFile } from './dicomdir.ts';
// The import worker's task table (import.worker.ts serves it; the importer runs it on the pool).

import type { InstanceAttributes } from '../../common/domain.ts';
import type { ProblemRef } from '../../common/import-problems.ts';
import type { CadReportRead } from '../dicom/cad-sr-read.ts';

/** What one file turned out to be, read on a worker thread. */
export type FileInspection =
  | { kind: 'instance'; attributes: InstanceAttributes; warnings: ProblemRef[]; size: number; contentLength: number }
  | { kind: 'dicomdir'; found: string[]; missing: MissingFile[]; outside: MissingFile[] }
  | { kind: 'not-dicom'; problem: ProblemRef }
  /** A pipe, socket or device (a path that became one since it was listed): never opened. */
  | { kind: 'not-regular-file' }
  | { kind: 'damaged'; problem: ProblemRef; studyUid: string | null; sopInstanceUid: string | null };

export type ImportTasks = {
  /** Reads and checks a file's header (and the structure of its pixel data) without loading it. */
  inspect: { input: { file: string }; result: FileInspection };
  /** Copies (or moves, or links: a received file stays where it is until the database holds it) a file into the store under its content address. */
  store: { input: { file: string; storeRoot: string; tmpDir: string; durable: boolean; move: boolean; link?: boolean }; result: { key: string; size: number } };
  /** Re-reads a stored file to check its content address (or a file given to import, through its link: `followLinks`). */
  hash: { input: { file: string; followLinks?: boolean }; result: string };
  /**
   * Makes the display rendition of a stored image (a reduced copy the viewer paints first) and
   * writes it to `target` (side 0 when the image is small enough without one, or when `rendition`
   * is false: a library's image that has one already), and finds the breast's box in it (null: no
   * clear breast, or not asked for) from the same decoding.
   */
  rendition: {
    input: { file: string; target: string; tmpDir: string; maxSide: number; rendition: boolean; breastBox: boolean };
    result: { side: number; breastBox: [number, number, number, number] | null };
  };
  /**
   * Reads a Mammography CAD SR into its marks (main/dicom/cad-sr-read.ts): dcmjs parses the whole
   * report, seconds for a large one, never on the main loop. A refusal is an answer, not an error.
   */
  readCadSr: { input: { file: string }; result: { report: CadReportRead } | { problem: 'not_cad_sr' | 'unreadable'; message: string } };
  /** Copies the database's write-ahead log back into it (off the main thread). */
  checkpoint: { input: { database: string }; result: { logPages: number; checkpointedPages: number } };
};
