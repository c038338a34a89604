// Why a request to a PACS node failed, over DICOMweb (dicomweb.ts) or DIMSE (dimse-client.ts): a
// code the panel translates (common/pacs.ts PacsFailure) and a detail without patient data.

import type { PacsFailure } from '../../common/pacs.ts';

export class PacsError extends Error {
  constructor(readonly code: PacsFailure, readonly detail: string | null, readonly httpStatus: number | null = null) {
    super(`${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'PacsError';
  }
}
