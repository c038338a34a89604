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
  return new Uint8Array(dict.write());
}
