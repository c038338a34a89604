// The throwing form of inspectFile (main/dicom/inspect.ts), for callers written before it: reads a
// file's header and checks it with bounded reads, never the whole file.

import { DicomParseError } from './parse.ts';
import type { ParsedDicom } from './parse.ts';
import { inspectFile } from './inspect.ts';

/** Inspects a file: returns the instance or DICOMDIR; throws DicomParseError (damaged, not DICOM) or the I/O error. */
export async function parseFileHeader(file: string): Promise<ParsedDicom> {
  const inspection = await inspectFile(file);
  switch (inspection.kind) {
    case 'instance': return inspection.instance;
    case 'dicomdir': return { kind: 'dicomdir', referencedFiles: inspection.referencedFiles };
    default: throw new DicomParseError(inspection.problem);
  }
}
