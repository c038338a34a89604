// Stored images for the transports that stream them to the viewer (the loopback host's
// /dicom/<id>, Electron's binome://station/dicom/<id>): one function, so both answer the same. A
// stored file is checked before it is served: it must be a file of the size recorded at import
// (and, on demand, have the content its address says); otherwise the answer is "damaged in the
// store", never a short or wrong body. A file kept with unreadable bytes after its pixel data (the
// 'trailing_bytes' warning) is served up to the end of its pixel data, which is what a viewer can
// read; the stored file stays whole. Anything at a file's address that is not a regular file (a
// directory, a FIFO, a device, a symbolic link: the store never holds one) counts as missing, and is
// never opened in a way that could block (main/base/regular-file.ts).

import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { ApiHandlers, StoreCheck } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import type { StationContext } from './context.ts';
import { openRegularFile, statRegularFile } from '../base/regular-file.ts';
import { endsWithEndMarker } from '../dicom/codestream.ts';
import { ImageFile } from '../dicom/pixels/image-file.ts';
import { TRANSFER_SYNTAXES } from '../dicom/transfer-syntax.ts';

export interface OpenedImage {
  /** The file's bytes; the transport must handle its 'error' event (a disk can fail mid-read). */
  stream: Readable;
  size: number;
}

const damaged = () => new ApiError('damaged', 'This image is damaged in the library store', 'error.imageDamaged');
const missing = () => new ApiError('damaged', 'This image is missing from the library store', 'error.imageMissing');

export async function openStoredImage(ctx: StationContext, instanceId: number, options: { verifyContent?: boolean; rendition?: 'display' } = {}): Promise<OpenedImage> {
  const found = ctx.db.worklist.instanceFile(instanceId);
  if (!found) throw new ApiError('not_found', 'No such image', 'error.imageNotFound');
  const file = ctx.store.pathFor(found.fileHash);
  if (!framesEndWhole(file, found)) throw damaged();
  if (options.rendition) return openRendition(ctx, found);
  const verifyContent = options.verifyContent ?? false;
  let handle: fs.promises.FileHandle;
  let stat: fs.Stats;
  try {
    ({ handle, stat } = await openRegularFile(file));
  } catch {
    throw missing();
  }
  try {
    if (stat.size !== found.fileSize) throw damaged();
    if (verifyContent) {
      // a failure to hash (not a mismatch) is ours, not the file's: it surfaces as an internal error
      const key = await ctx.importer.runTask('hash', { file }).catch((error: unknown) => { throw new ApiError('internal', `could not check the image: ${(error as Error)?.name}`, 'error.internal'); });
      if (key !== found.fileHash) throw damaged();
    }
    const size = found.readableLength ?? stat.size;
    return { stream: handle.createReadStream({ autoClose: true, start: 0, end: size - 1 }), size };
  } catch (error) {
    await handle.close();
    throw error instanceof ApiError ? error : missing();
  }
}

/** Stored files whose compressed frames were seen to end whole (a file's content never changes at its address). */
const seenWhole = new Set<string>();

/**
 * Whether each compressed frame of a stored file ends with its end marker. Import refuses a frame
 * cut short (main/dicom/codestream.ts); a file stored before it did would be shown by the viewer as
 * the part its decoder read (OpenJPH, the JPEG Lossless decoder), or as a rendition made from that
 * part: it is served as damaged instead. A few small reads, once per file and process.
 */
function framesEndWhole(file: string, found: { fileHash: string; transferSyntaxUid: string }): boolean {
  const codestream = TRANSFER_SYNTAXES.get(found.transferSyntaxUid)?.codestream;
  if (!codestream || codestream === 'rle' || seenWhole.has(found.fileHash)) return true;
  let image: ImageFile;
  try {
    image = ImageFile.open(file);
  } catch {
    return true; // not an image the pixel pipeline reads (or missing): the checks below say what
  }
  try {
    for (let k = 0; k < image.header.frames; k++) {
      if (!endsWithEndMarker((n) => image.frameTail(k, n))) return false;
    }
  } catch {
    return true;
  } finally {
    image.close();
  }
  if (seenWhole.size >= 100_000) seenWhole.clear();
  seenWhole.add(found.fileHash);
  return true;
}

/** The display rendition of an image: 404 when it has none (the viewer then loads the stored image). */
async function openRendition(ctx: StationContext, found: { fileHash: string; displayRendition: number | null }): Promise<OpenedImage> {
  const missingRendition = () => new ApiError('not_found', 'This image has no display rendition', 'error.imageNotFound');
  if (!found.displayRendition) throw missingRendition();
  const opened = await openRegularFile(ctx.store.renditionPathFor(found.fileHash, found.displayRendition)).catch(() => null);
  if (!opened) throw missingRendition();
  const { handle, stat } = opened;
  return { stream: handle.createReadStream({ autoClose: true }), size: stat.size };
}

export type StoreHandlers = Pick<ApiHandlers, 'checkStore'>;

export function storeHandlers(ctx: StationContext): StoreHandlers {
  return {
    checkStore: async ({ examId, content }) => {
      const files = ctx.db.worklist.storedFiles(examId ?? null);
      const result: StoreCheck = { checked: 0, damaged: [] };
      for (const f of files) {
        result.checked++;
        const file = ctx.store.pathFor(f.fileHash);
        const stat = await statRegularFile(file).catch(() => null);
        if (!stat) { result.damaged.push({ instanceId: f.instanceId, examId: f.examId, reason: 'missing' }); continue; }
        if (stat.size !== f.fileSize) { result.damaged.push({ instanceId: f.instanceId, examId: f.examId, reason: 'size' }); continue; }
        if (!framesEndWhole(file, f)) { result.damaged.push({ instanceId: f.instanceId, examId: f.examId, reason: 'codestream' }); continue; }
        if (content && (await ctx.importer.runTask('hash', { file })) !== f.fileHash) result.damaged.push({ instanceId: f.instanceId, examId: f.examId, reason: 'content' });
      }
      return result;
    },
  };
}
