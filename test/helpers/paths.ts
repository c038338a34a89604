import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Real DICOM files from public test suites, beside the checkout (see its SOURCES.md). */
export const SHARED_DICOM = path.resolve(ROOT, '..', 'shared', 'data', 'dicom');
export const HAS_SHARED_DICOM = fs.existsSync(path.join(SHARED_DICOM, 'SOURCES.md'));
export const SKIP_NO_SHARED = HAS_SHARED_DICOM ? false : `the shared DICOM test data is absent (expected at ${SHARED_DICOM})`;

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `binome-${prefix}-`));
}
