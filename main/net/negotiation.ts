// What the storage SCP accepts: its SOP classes and transfer syntaxes, and how it chooses among the
// transfer syntaxes a caller proposes. One table, read by the SCP, the status panel and the tests;
// docs/dicom-conformance.md says the same in prose.
//
// Files are stored byte for byte as received, so the transfer syntax chosen is the one they are
// kept in: among those proposed for a presentation context, a lossless compressed syntax first (the
// caller usually holds the file so; it travels and is kept smaller), then explicit, then implicit
// VR little endian. A lossy syntax is accepted only when nothing else is proposed (the image is
// lossy already): choosing it over a native one would have the caller compress a mammogram lossily.

import { ACCEPTED_SOP_CLASSES } from '../../common/dicom-node.ts';

export { ACCEPTED_SOP_CLASSES };

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

export interface AcceptedTransferSyntax {
  uid: string;
  name: string;
  lossy: boolean;
}

/** In the order of preference (first: chosen first when proposed). */
export const ACCEPTED_TRANSFER_SYNTAXES: readonly AcceptedTransferSyntax[] = [
  { uid: '1.2.840.10008.1.2.4.201', name: 'HTJ2K Lossless', lossy: false },
  { uid: '1.2.840.10008.1.2.4.202', name: 'HTJ2K Lossless RPCL', lossy: false },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', lossy: false },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Lossless', lossy: false },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless, First-Order Prediction (SV1)', lossy: false },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless', lossy: false },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', lossy: false },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', lossy: false },
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', lossy: false },
  // accepted only when nothing above is proposed
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Near-Lossless', lossy: true },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', lossy: true },
  { uid: '1.2.840.10008.1.2.4.203', name: 'HTJ2K', lossy: true },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (8-bit)', lossy: true },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (12-bit)', lossy: true },
];

const VERIFICATION_TRANSFER_SYNTAXES = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'];
const ACCEPTED_CLASS_UIDS = new Set(ACCEPTED_SOP_CLASSES.map((c) => c.uid));

export type ContextDecision =
  | { result: 'accept'; transferSyntaxUid: string }
  | { result: 'abstract-syntax-not-supported' }
  | { result: 'transfer-syntaxes-not-supported' };

/** The answer to one proposed presentation context. */
export function decideContext(abstractSyntaxUid: string, proposed: readonly string[]): ContextDecision {
  const offered = new Set(proposed.map((t) => t.replace(/\0+$/, '').trim()));
  if (abstractSyntaxUid === VERIFICATION_SOP_CLASS) {
    const ts = VERIFICATION_TRANSFER_SYNTAXES.find((t) => offered.has(t));
    return ts ? { result: 'accept', transferSyntaxUid: ts } : { result: 'transfer-syntaxes-not-supported' };
  }
  if (!ACCEPTED_CLASS_UIDS.has(abstractSyntaxUid)) return { result: 'abstract-syntax-not-supported' };
  const ts = ACCEPTED_TRANSFER_SYNTAXES.find((t) => offered.has(t.uid));
  return ts ? { result: 'accept', transferSyntaxUid: ts.uid } : { result: 'transfer-syntaxes-not-supported' };
}

/** Whether a SOP class is one the SCP stores. */
export function isAcceptedStorageClass(uid: string): boolean {
  return ACCEPTED_CLASS_UIDS.has(uid);
}

/**
 * An AE title as DICOM allows it: 1 to 16 characters of the default repertoire, no backslash, no
 * control character, not only spaces (leading and trailing spaces are not significant).
 */
export function normalizeAeTitle(title: string): string | null {
  const trimmed = title.trim();
  if (!trimmed || trimmed.length > 16 || !/^[\x20-\x7e]+$/.test(trimmed) || trimmed.includes('\\')) return null;
  return trimmed;
}
