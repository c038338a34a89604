// Writes DICOM Part 10 files with dcmjs, from a naturalised data set (keyword → value).

import dcmjs from 'dcmjs';

const { DicomMetaDictionary, DicomDict } = dcmjs.data;

export const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1417.1';
export const IMPLEMENTATION_VERSION_NAME = 'BINOME_010';

export const TRANSFER_SYNTAX = {
  explicitLittle: '1.2.840.10008.1.2.1',
  implicitLittle: '1.2.840.10008.1.2',
} as const;

export type NaturalDataset = Record<string, unknown>;

/**
 * Serialises a data set as a Part 10 file. The data set must carry SOPClassUID and
 * SOPInstanceUID; pixel data, when present, is `PixelData: [ArrayBuffer]` with its VR in `_vrMap`.
 */
export function writePart10(dataset: NaturalDataset, transferSyntaxUid: string = TRANSFER_SYNTAX.explicitLittle): Uint8Array {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write(COPY_AS_RECEIVED));
}

/**
 * dcmjs's write options for data sets that carry values copied from received files (the patient's
 * name and ID, the study's): written as received, even where longer than their VR allows. PACS send
 * such values; dcmjs refused the whole file ("Value exceeds max length", the value quoted in the
 * message), and an exam whose woman had a 72-letter name got no CAD SR and no display rendition (a
 * probe). Cut to length, her ID would no longer match the PACS's.
 */
export const COPY_AS_RECEIVED = { allowInvalidVRLength: true } as const;

/** Pixel data to append after the data set: native bytes, or the fragments of a compressed frame. */
export type PixelDataPayload = { native: Uint8Array; vr: 'OW' | 'OB' } | { fragments: Uint8Array[] };

/**
 * Writes a Part 10 file whose large pixel data is appended after dcmjs has written the rest.
 * dcmjs copies a 17 MB frame several times while serialising; the Pixel Data element itself is
 * simple to encode (PS3.5 7.1.2, and A.4 for encapsulated fragments), so it is written directly.
 * Little-endian explicit VR transfer syntaxes only; Pixel Data must be the data set's last element.
 */
export function writePart10WithPixelData(dataset: NaturalDataset, pixelData: PixelDataPayload, transferSyntaxUid: string = TRANSFER_SYNTAX.explicitLittle): Uint8Array {
  if (transferSyntaxUid === TRANSFER_SYNTAX.implicitLittle) throw new Error('writePart10WithPixelData writes explicit VR only');
  const { PixelData: _omit, ...rest } = dataset;
  void _omit;
  const head = writePart10(rest, transferSyntaxUid);
  const parts: Uint8Array[] = [head];
  const element = (group: number, elementNumber: number, vr: string | null, length: number): Uint8Array => {
    const b = Buffer.alloc(vr ? 12 : 8);
    b.writeUInt16LE(group, 0);
    b.writeUInt16LE(elementNumber, 2);
    if (vr) { b.write(vr, 4, 'latin1'); b.writeUInt32LE(length >>> 0, 8); } else b.writeUInt32LE(length >>> 0, 4);
    return b;
  };
  if ('native' in pixelData) {
    const odd = pixelData.native.length % 2;
    parts.push(element(0x7fe0, 0x0010, pixelData.vr, pixelData.native.length + odd), pixelData.native);
    if (odd) parts.push(new Uint8Array(1));
  } else {
    parts.push(element(0x7fe0, 0x0010, 'OB', 0xffffffff), element(0xfffe, 0xe000, null, 0)); // empty Basic Offset Table
    for (const fragment of pixelData.fragments) {
      const odd = fragment.length % 2;
      parts.push(element(0xfffe, 0xe000, null, fragment.length + odd), fragment);
      if (odd) parts.push(new Uint8Array(1));
    }
    parts.push(element(0xfffe, 0xe0dd, null, 0));
  }
  return Buffer.concat(parts);
}

export interface FileMetaInformation {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** The AE title of the node the data set came from (0002,0016). */
  sourceAeTitle?: string;
}

/**
 * The preamble, "DICM" and File Meta Information (group 0002, explicit VR little endian) that make a
 * data set received over the network a Part 10 file: its bytes follow unchanged, in the transfer
 * syntax named here (PS3.10 7.1).
 */
export function part10Header(meta: FileMetaInformation): Uint8Array {
  const group = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: meta.sopClassUid,
    MediaStorageSOPInstanceUID: meta.sopInstanceUid,
    TransferSyntaxUID: meta.transferSyntaxUid,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
    ...(meta.sourceAeTitle ? { SourceApplicationEntityTitle: meta.sourceAeTitle } : {}),
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(group));
  dict.dict = {};
  return new Uint8Array(dict.write());
}
