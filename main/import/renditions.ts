// Display renditions: a reduced copy of every image (longest side DISPLAY_RENDITION_SIDE), made on
// the import threads after import, one at a time in the background, stored beside the store's files
// (never replacing one); and, from the same decoding, the breast's box in every image (the viewer
// fits the breast to its place; a library made before boxes gets them here too, without its
// renditions being made again). The viewer paints it first and the stored image right after, so that an exam
// opens in a fraction of the time a full-size mammogram takes to decode and upload to the screen.
// An exam being opened goes first. A rendition that cannot be made is recorded as none: the viewer
// then loads the stored image, as it always can. So is one of an image too large to reduce within
// the pixel pipeline's memory budget (main/dicom/pixels/rendition.ts), known from its Rows and
// Columns before any of it is read.

import type { LibraryDatabase } from '../db/library-database.ts';
import type { StoreLayout } from '../dicom/store.ts';
import { renditionRefusal } from '../dicom/pixels/rendition.ts';
import { isDiskFull } from './importer.ts';
import type { Importer } from './importer.ts';
import { errorForLog, log } from '../base/log.ts';

/** 1024 pixels: a 2×2 step on a 1920×1080 or 2560×2048 screen shows about that much per image. */
export const DISPLAY_RENDITION_SIDE = 1024;
const BATCH = 16;
const TIMEOUT_MS = 120_000;

export class RenditionMaker {
  private running: Promise<void> | null = null;
  private again = false;
  private preferred: number | null = null;
  /** Exams read for a viewer with images left to prepare: examReady is said for each once none is. */
  private readonly waiting = new Set<number>();
  private closed = false;

  constructor(
    private readonly db: LibraryDatabase,
    private readonly store: StoreLayout,
    private readonly importer: Importer,
    private readonly tmpDir: string,
    private readonly side = DISPLAY_RENDITION_SIDE,
    /** The exam being opened has all its display aids now, made since it was opened (its viewer hangs it again). */
    private readonly examReady: (examId: number) => void = () => undefined,
  ) {}

  /**
   * Makes what is missing (after an import, at start); an exam being opened goes first (one loaded
   * ahead, `ahead`, after the exam opened while that one's are still being made), and examReady is
   * said for it once none of its images lacks any, made by this run or by one already going (asked
   * where its images lacked some when it was read for its viewer).
   */
  kick(preferExamId?: number, options: { ahead?: boolean } = {}): void {
    if (this.closed) return;
    if (preferExamId !== undefined) {
      if (!options.ahead || this.preferred === null || !this.waiting.has(this.preferred)) this.preferred = preferExamId;
      this.waiting.add(preferExamId);
    }
    if (this.running) { this.again = true; return; }
    this.running = this.run().catch((error: unknown) => {
      // the library could not be written (a full disk, another process's long write): renditions
      // wait for the next import or opened exam; never an unhandled rejection (a probe's full disk
      // ended the station's process)
      log.warn(`display renditions paused: ${errorForLog(error)}`);
      this.again = false;
    }).finally(() => {
      this.running = null;
      if (this.again && !this.closed) { this.again = false; this.kick(); }
    });
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const images = this.db.imports.imagesToPrepareForDisplay(BATCH, this.preferred);
      for (const examId of [...this.waiting]) {
        if (this.db.imports.examHasImagesToPrepare(examId)) continue;
        this.waiting.delete(examId);
        this.examReady(examId);
      }
      if (!images.length) return;
      for (const image of images) {
        if (this.closed) return;
        const reduce = image.rendition && Math.max(image.rows, image.columns) > this.side;
        if (image.rendition && !reduce) this.db.imports.setRendition(image.fileHash, 0);
        const refusal = renditionRefusal(image.rows, image.columns);
        if (refusal) {
          if (image.rendition && this.db.imports.setRendition(image.fileHash, 0)) log.warn(`display rendition not made for an image of exam ${image.examId}: ${refusal}`);
          this.db.imports.setBreastBox(image.fileHash, null);
          continue;
        }
        if (!reduce && !image.breastBox) continue;
        try {
          const { side, breastBox } = await this.importer.runTask('rendition', {
            file: this.store.pathFor(image.fileHash), target: this.store.renditionPathFor(image.fileHash, this.side), tmpDir: this.tmpDir, maxSide: this.side,
            rendition: reduce, breastBox: image.breastBox,
          }, TIMEOUT_MS);
          if (this.closed) return;
          if (reduce) this.db.imports.setRendition(image.fileHash, side);
          if (image.breastBox) this.db.imports.setBreastBox(image.fileHash, breastBox);
        } catch (error) {
          if (this.closed) return;
          // a full disk is no fault of the image: not recorded as "none" (it was never tried again);
          // made at the next import or opened exam, once there is room
          if (isDiskFull(error)) throw error;
          if (reduce && this.db.imports.setRendition(image.fileHash, 0)) log.warn(`display rendition could not be made for an image of exam ${image.examId} (binome check --exam ${image.examId}): ${errorForLog(error)}`);
          if (image.breastBox) this.db.imports.setBreastBox(image.fileHash, null);
        }
      }
    }
  }

  /** Stops after the rendition being made. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
  }
}
