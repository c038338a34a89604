// The transfer syntaxes the station accepts: how each encodes the data set, and what its pixel data
// must look like. Anything else is refused at import, since the viewer and the AI could not decode it.

/** The codestream a compressed syntax's fragments must hold. */
export type Codestream = 'jpeg-dct' | 'jpeg-lossless' | 'jpeg-ls' | 'j2k' | 'rle';

export interface TransferSyntax {
  uid: string;
  explicitVr: boolean;
  littleEndian: boolean;
  deflated: boolean;
  /** null for native (uncompressed) pixel data. */
  codestream: Codestream | null;
  /** JPEG frame markers (SOFn) allowed, with the sample precisions each allows. */
  jpegFrames?: Record<number, readonly number[] | 'any'>;
}

const native = (uid: string, explicitVr: boolean, littleEndian = true, deflated = false): TransferSyntax =>
  ({ uid, explicitVr, littleEndian, deflated, codestream: null });
const compressed = (uid: string, codestream: Codestream, jpegFrames?: TransferSyntax['jpegFrames']): TransferSyntax =>
  ({ uid, explicitVr: true, littleEndian: true, deflated: false, codestream, ...(jpegFrames ? { jpegFrames } : {}) });

const SOF0 = 0xc0, SOF1 = 0xc1, SOF3 = 0xc3, SOF55 = 0xf7;

export const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntax> = new Map([
  native('1.2.840.10008.1.2', false),
  native('1.2.840.10008.1.2.1', true),
  native('1.2.840.10008.1.2.1.99', true, true, true),
  // Explicit VR Big Endian, retired in 2004 but still found on old media; the viewer's loader
  // (dicom-parser and Cornerstone) reads it, so refusing it would only lose old priors.
  native('1.2.840.10008.1.2.2', true, false),
  // JPEG Baseline (process 1): 8-bit DCT. SOF1 at 8 bits is accepted too: every decoder reads it.
  compressed('1.2.840.10008.1.2.4.50', 'jpeg-dct', { [SOF0]: [8], [SOF1]: [8] }),
  // JPEG Extended (processes 2 and 4): 8- or 12-bit DCT.
  compressed('1.2.840.10008.1.2.4.51', 'jpeg-dct', { [SOF0]: [8], [SOF1]: [8, 12] }),
  // JPEG Lossless (process 14) and its first-order prediction subset (SV1).
  compressed('1.2.840.10008.1.2.4.57', 'jpeg-lossless', { [SOF3]: 'any' }),
  compressed('1.2.840.10008.1.2.4.70', 'jpeg-lossless', { [SOF3]: 'any' }),
  // JPEG-LS lossless and near-lossless (SOF55).
  compressed('1.2.840.10008.1.2.4.80', 'jpeg-ls', { [SOF55]: 'any' }),
  compressed('1.2.840.10008.1.2.4.81', 'jpeg-ls', { [SOF55]: 'any' }),
  compressed('1.2.840.10008.1.2.4.90', 'j2k'),
  compressed('1.2.840.10008.1.2.4.91', 'j2k'),
  // High-Throughput JPEG 2000: lossless, RPCL lossless, lossy.
  compressed('1.2.840.10008.1.2.4.201', 'j2k'),
  compressed('1.2.840.10008.1.2.4.202', 'j2k'),
  compressed('1.2.840.10008.1.2.4.203', 'j2k'),
  compressed('1.2.840.10008.1.2.5', 'rle'),
].map((ts) => [ts.uid, ts]));

/** The name of a codestream as shown to users (format names, the same in every language). */
export const CODESTREAM_NAMES: Record<Codestream, string> = {
  'jpeg-dct': 'JPEG',
  'jpeg-lossless': 'JPEG Lossless',
  'jpeg-ls': 'JPEG-LS',
  j2k: 'JPEG 2000',
  rle: 'RLE',
};
