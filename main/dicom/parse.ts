// Reads the attributes Binome needs from a DICOM Part 10 file held in memory. The checks and the
// parsing are main/dicom/inspect.ts's (inspectBytes); this is the throwing form for callers that
// only want an instance or a DICOMDIR (the synthetic generator's tests, benchmarks, uploads).

import { describeProblem } from '../../common/import-problems.ts';
import type { ProblemRef } from '../../common/import-problems.ts';
import { inspectBytes } from './inspect.ts';
import type { InspectLimits } from './inspect.ts';
import type { ParsedDicom } from './attributes.ts';

export { MEDIA_STORAGE_DIRECTORY_SOP_CLASS } from './attributes.ts';
export type { ParsedDicom, ParsedDicomDir, ParsedInstance } from './attributes.ts';

/** A file that is not DICOM or is damaged: `problem` says why, as a code; the message is its English sentence. */
export class DicomParseError extends Error {
  constructor(readonly problem: ProblemRef) {
    super(describeProblem('en', problem));
    this.name = 'DicomParseError';
  }
}

/**
 * Parses and checks a whole Part 10 file (see inspectBytes): returns the instance or DICOMDIR,
 * throws DicomParseError when it is not DICOM or is damaged. Warnings are dropped.
 */
export function parseDicom(bytes: Uint8Array, limits: Partial<InspectLimits> = {}): ParsedDicom {
  const inspection = inspectBytes(bytes, limits);
  switch (inspection.kind) {
    case 'instance': return inspection.instance;
    case 'dicomdir': return { kind: 'dicomdir', referencedFiles: inspection.referencedFiles };
    default: throw new DicomParseError(inspection.problem);
  }
}
