import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Real DICOM files from public test suites, beside the checkout (see its SOURCES.md). */
export const SHARED_DICOM = path.resolve(ROOT, '..', 'shared', 'data', 'dicom');
export const HAS_SHARED_DICOM = fs.existsSync(path.join(SHARED_DICOM, 'SOURCES.md'));
export const SKIP_NO_SHARED = HAS_SHARED_DICOM ? false : `the shared DICOM test data is absent (expected at ${SHARED_DICOM})`;

const made: string[] = [];

/**
 * A new empty folder `binome-<prefix>-XXXXXX` in the system's temporary folder, removed with
 * everything in it when this process exits (each test file runs in a process of its own), unless
 * BINOME_KEEP_TEMP=1 keeps them for a look after a failure. Whatever a test starts that writes there
 * (a station, a host, Chromium, Orthanc, the command line) the test stops before it ends.
 */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `binome-${prefix}-`));
  if (!made.length && !process.env.BINOME_KEEP_TEMP) process.once('exit', removeTempDirs);
  made.push(dir);
  return dir;
}

function removeTempDirs(): void {
  for (const dir of made.splice(0)) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      process.stderr.write(`could not remove the test folder ${dir}: ${(error as Error).message}\n`);
    }
  }
}
