// A display rendition: the image reduced by area averaging to fit `maxSide`, written beside the
// stored file as its own small DICOM file (Explicit VR Little Endian, native), for the viewer to
// paint first. Stored values stay stored values (no VOI is applied), so window presets, the VOI LUT
// Sequence, SIGMOID and MONOCHROME1 behave as on the original; Pixel Spacing and Imager Pixel
// Spacing grow by the reduction, so that a millimetre stays a millimetre and the viewer can swap
// the rendition for the original without moving its camera.
//
// Every attribute of the original is copied (dcmjs reads the header up to the Pixel Data) except
// those the reduction makes wrong: overlays and the icon (drawn on the original's grid), the
// smallest/largest pixel values, offset tables and signatures. It is a new, derived instance: a
// SOP Instance UID derived from the original's (caches never confuse the two), Image Type DERIVED,
// Derivation Description "display rendition", and a Source Image Sequence naming the original.
//
// One frame: the viewer paints frame 1 of an image (a mammogram has one), so the rendition holds the
// first frame only (Number of Frames 1, the first item of a Per-Frame Functional Groups Sequence).
//
// Bounded memory: a rendition is made only for an image whose frame holds at most
// DISPLAY_RENDITION_MAX_PIXELS pixels (bigger ones get none: the viewer loads the stored image, as it
// always can); the frame is decoded once and averaged down where the decoder left it, so that one
// full-size copy of it exists at a time, and the file's other frames are never read.
//
// Geometry: rendition pixel (i, j) averages the original's pixels under its cell, so its centre is
// the original's ((i + 0.5)·sx − 0.5, (j + 0.5)·sy − 0.5), sx = Columns / rendition Columns (likewise
// sy with Rows); a viewer aligning the two exactly shifts the rendition by (sx − 1)/2, (sy − 1)/2
// original pixels.

import dcmjs from 'dcmjs';
import { derivedUid } from '../uid.ts';
import { COPY_AS_RECEIVED, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, TRANSFER_SYNTAX } from '../write.ts';
import { withDecodedFrame } from './decode.ts';
import type { StoredPixels } from './decode.ts';
import { ImageFile, PixelDataError } from './image-file.ts';
import type { ImageHeader } from './image-file.ts';
import { axisWeights, resample } from './resample.ts';
import { ScratchArrays } from './scratch.ts';
import { boxWithoutEdgeStrips, breastMask, storedBreastBox } from './breast-mask.ts';
import { presentationLut } from './voi.ts';

const { DicomDict, DicomMessage } = dcmjs.data;

export interface RenditionOptions {
  /** The rendition's longer side, in pixels. */
  maxSide: number;
}

export const DERIVATION_DESCRIPTION = 'display rendition';

/**
 * The largest frame a rendition is made of: 64 megapixels (8192 × 8192, 128 MiB of 16-bit values),
 * over twice the largest mammography detectors (about 28: 4728 × 5928); a 16-bit frame of this size
 * takes about 128 MiB to decode and 32 MiB more to average down.
 */
export const DISPLAY_RENDITION_MAX_PIXELS = 8192 * 8192;

/** Why an image of `rows × columns` gets no rendition (too many pixels), or null when it may have one. */
export function renditionRefusal(rows: number, columns: number): string | null {
  const pixels = rows * columns;
  if (pixels <= DISPLAY_RENDITION_MAX_PIXELS) return null;
  return `a frame of ${Math.round(pixels / 1e6)} megapixels is over the ${Math.round(DISPLAY_RENDITION_MAX_PIXELS / 1e6)}-megapixel budget of display renditions`;
}

/** This thread's array for a frame's bytes, kept from image to image (renditions are made one after another on a worker). */
const scratch = new ScratchArrays();

/** An element of a dcmjs data set: its VR and values. */
interface DcmjsElement { vr: string; Value?: unknown[] }
type DcmjsDataSet = Record<string, DcmjsElement>;

/**
 * Makes the display rendition of a stored image (its first frame): a DICOM Part 10 file, or null
 * when the image already fits `maxSide`. Throws PixelDataError for pixels the pipeline cannot read
 * or a frame over DISPLAY_RENDITION_MAX_PIXELS (the viewer then shows the original). A stored file
 * is never a link (main/base/regular-file.ts): one is refused.
 */
export async function makeDisplayRendition(file: string, options: RenditionOptions): Promise<Uint8Array | null> {
  return (await readForDisplay(file, { ...options, rendition: true, breastBox: false })).rendition;
}

/** What the viewer keeps of a stored image besides the image itself. */
export interface DisplayAids {
  /** The rendition's DICOM file, or null (not asked for, or the image fits `maxSide` already). */
  rendition: Uint8Array | null;
  /**
   * The breast's bounding box in stored pixels, columns [c0, c1) and rows [r0, r1), found on the
   * image's whole stored range as the AI finds its crop on its window (main/dicom/pixels/breast-mask.ts),
   * down to the skin line; null when not asked for, no clear breast, or an image too small for one. The viewer fits the breast, not the detector, to its place.
   */
  breastBox: [number, number, number, number] | null;
}

/**
 * The display rendition and the breast's box of a stored image, from one decoding of its first
 * frame (either may be left out: a library made before the box has its renditions already).
 */
export async function readForDisplay(file: string, options: RenditionOptions & { rendition: boolean; breastBox: boolean }): Promise<DisplayAids> {
  const image = ImageFile.open(file, { followLinks: false });
  try {
    const h = image.header;
    const scale = Math.max(h.rows, h.columns) / options.maxSide;
    const reduce = options.rendition && scale > 1;
    if (!reduce && !options.breastBox) return { rendition: null, breastBox: null };
    const refusal = renditionRefusal(h.rows, h.columns);
    if (refusal) throw new PixelDataError(refusal);
    const columns = Math.max(1, Math.round(h.columns / scale));
    const rows = Math.max(1, Math.round(h.rows / scale));
    const lent = scratch.borrow(image.frameByteLength(0));
    let made: { frame: StoredPixels | null; breastBox: DisplayAids['breastBox'] };
    try {
      made = await withDecodedFrame(image, 0, (pixels) => ({
        frame: reduce ? reduceFrame(pixels, h, columns, rows) : null,
        breastBox: options.breastBox ? displayBreastBox(pixels, h) : null,
      }), lent.frame);
    } finally {
      lent.giveBack();
    }
    return { rendition: made.frame ? writeRendition(readHeaderDataSet(image), h, made.frame, rows, columns) : null, breastBox: made.breastBox };
  } finally {
    image.close();
  }
}

/**
 * The breast's box for the viewer: the mask on the frame's whole stored range, not its first window
 * (a narrow preset clips the fat to the air's level, and a probe's box held the dense core alone, the
 * fat and skin line zoomed out of sight), thin strips at its ends left out (boxWithoutEdgeStrips);
 * none for an image too small to hold a breast's outline (a probe's 1 × 2 image was zoomed onto one
 * of its pixels).
 */
function displayBreastBox(pixels: StoredPixels, h: ImageHeader): DisplayAids['breastBox'] {
  if (Math.min(h.rows, h.columns) < MIN_BOX_IMAGE_SIDE) return null;
  const mask = breastMask(pixels, h.columns, h.rows, presentationLut(h, pixels, 'full-range'));
  return storedBreastBox({ ...mask, box: boxWithoutEdgeStrips(mask) }, h.columns, h.rows);
}

/** The smallest image (pixels a side) whose breast is looked for: a mammogram's is hundreds. */
const MIN_BOX_IMAGE_SIDE = 64;

/** Area-averages a frame down to `columns × rows`, rounded back to stored values of the same type. */
export function reduceFrame(pixels: StoredPixels, h: Pick<ImageHeader, 'rows' | 'columns'>, columns: number, rows: number): StoredPixels {
  const sx = h.columns / columns, sy = h.rows / rows;
  // Output sample k's cell covers input [k·s − 0.5, (k + 1)·s − 0.5]: its centre is s·k + (s − 1)/2.
  const averaged = resample(pixels, h.columns, axisWeights(columns, sx, (sx - 1) / 2, h.columns), axisWeights(rows, sy, (sy - 1) / 2, h.rows), null);
  const out = new (pixels.constructor as new (n: number) => StoredPixels)(averaged.length);
  for (let i = 0; i < averaged.length; i++) out[i] = Math.round(averaged[i]!);
  return out;
}

/** The original's data set before its Pixel Data, as dcmjs reads it (a deflated file is read whole). */
function readHeaderDataSet(image: ImageFile): DcmjsDataSet {
  const bytes = image.headerBytes();
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return DicomMessage.readFile(buffer, { untilTag: '7FE00010', includeUntilTagValue: false }).dict as DcmjsDataSet;
}

const TAG = {
  imageType: '00080008',
  sopClassUid: '00080016',
  sopInstanceUid: '00080018',
  derivationDescription: '00082111',
  sourceImageSequence: '00082112',
  referencedSopClassUid: '00081150',
  referencedSopInstanceUid: '00081155',
  nominalScannedPixelSpacing: '00182010',
  imagerPixelSpacing: '00181164',
  rows: '00280010',
  columns: '00280011',
  pixelSpacing: '00280030',
  spatialLocationsPreserved: '0028135A',
  pixelMeasuresSequence: '00289110',
  numberOfFrames: '00280008',
  purposeOfReferenceCodeSequence: '0040A170',
  sharedFunctionalGroups: '52009229',
  perFrameFunctionalGroups: '52009230',
} as const;

/** Elements the reduction makes wrong, dropped from the copy. */
function dropped(tag: string): boolean {
  const group = tag.slice(0, 4);
  return (group >= '6000' && group <= '60FF') // overlays, on the original's grid
    || tag === '00880200' // Icon Image Sequence
    || tag === '00280106' || tag === '00280107' || tag === '00280108' || tag === '00280109' // smallest/largest pixel values
    || tag.startsWith('7FE0') // pixel data and its offset tables
    || tag === 'FFFAFFFA'; // digital signatures (of the original's bytes)
}

/** Multiplies a spacing element's values (decimal strings in DICOM) by the row and column reduction. */
function scaleSpacing(ds: DcmjsDataSet, tag: string, sy: number, sx: number): void {
  const el = ds[tag];
  if (!el?.Value || el.Value.length < 2) return;
  const [row, column] = el.Value.map(Number);
  if (!Number.isFinite(row) || !Number.isFinite(column)) return;
  el.Value = [decimal(row! * sy), decimal(column! * sx)];
}

/** A DS value: at most 16 characters. */
const decimal = (v: number) => Number(v.toPrecision(10));

function writeRendition(original: DcmjsDataSet, h: ImageHeader, frame: StoredPixels, rows: number, columns: number): Uint8Array {
  const sx = h.columns / columns, sy = h.rows / rows;
  const ds: DcmjsDataSet = {};
  for (const [tag, el] of Object.entries(original)) if (!dropped(tag)) ds[tag] = el;

  const originalUid = h.sopInstanceUid ?? '';
  const sopInstanceUid = derivedUid(originalUid, DERIVATION_DESCRIPTION, rows, columns);
  ds[TAG.sopInstanceUid] = { vr: 'UI', Value: [sopInstanceUid] };
  ds[TAG.rows] = { vr: 'US', Value: [rows] };
  ds[TAG.columns] = { vr: 'US', Value: [columns] };
  // the first frame only: one frame, and the functional groups of that frame
  if (ds[TAG.numberOfFrames]) ds[TAG.numberOfFrames] = { vr: 'IS', Value: [1] };
  const perFrame = ds[TAG.perFrameFunctionalGroups];
  if (perFrame?.Value && perFrame.Value.length > 1) ds[TAG.perFrameFunctionalGroups] = { ...perFrame, Value: perFrame.Value.slice(0, 1) };
  for (const tag of [TAG.pixelSpacing, TAG.imagerPixelSpacing, TAG.nominalScannedPixelSpacing]) scaleSpacing(ds, tag, sy, sx);
  // Enhanced multi-frame images keep Pixel Spacing in their functional groups.
  for (const groups of [TAG.sharedFunctionalGroups, TAG.perFrameFunctionalGroups]) {
    for (const item of (ds[groups]?.Value ?? []) as DcmjsDataSet[]) {
      for (const measures of (item[TAG.pixelMeasuresSequence]?.Value ?? []) as DcmjsDataSet[]) scaleSpacing(measures, TAG.pixelSpacing, sy, sx);
    }
  }
  const imageType = (ds[TAG.imageType]?.Value as string[] | undefined) ?? ['ORIGINAL', 'PRIMARY'];
  ds[TAG.imageType] = { vr: 'CS', Value: ['DERIVED', ...imageType.slice(1)] };
  ds[TAG.derivationDescription] = { vr: 'ST', Value: [DERIVATION_DESCRIPTION] };
  ds[TAG.sourceImageSequence] = {
    vr: 'SQ',
    Value: [{
      [TAG.referencedSopClassUid]: { vr: 'UI', Value: [h.sopClassUid ?? ''] },
      [TAG.referencedSopInstanceUid]: { vr: 'UI', Value: [originalUid] },
      // the rendition's pixel grid is not the original's
      [TAG.spatialLocationsPreserved]: { vr: 'CS', Value: ['NO'] },
      [TAG.purposeOfReferenceCodeSequence]: {
        vr: 'SQ',
        Value: [{
          '00080100': { vr: 'SH', Value: ['121322'] },
          '00080102': { vr: 'SH', Value: ['DCM'] },
          '00080104': { vr: 'LO', Value: ['Source image for image processing operation'] },
        }],
      },
    }],
  };

  const meta: DcmjsDataSet = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [h.sopClassUid ?? ''] },
    '00020003': { vr: 'UI', Value: [sopInstanceUid] },
    '00020010': { vr: 'UI', Value: [TRANSFER_SYNTAX.explicitLittle] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] },
  };
  const dict = new DicomDict(meta);
  dict.dict = ds;
  const head = new Uint8Array(dict.write(COPY_AS_RECEIVED));

  // Pixel Data, written here rather than by dcmjs (which copies large values several times).
  const length = frame.byteLength;
  const pad = length % 2;
  const element = Buffer.alloc(12);
  element.writeUInt16LE(0x7fe0, 0);
  element.writeUInt16LE(0x0010, 2);
  element.write(h.bitsAllocated === 16 ? 'OW' : 'OB', 4, 'latin1');
  element.writeUInt32LE(length + pad, 8);
  const out = new Uint8Array(head.length + 12 + length + pad);
  out.set(head, 0);
  out.set(element, head.length);
  out.set(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), head.length + 12);
  return out;
}
