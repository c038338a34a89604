// Reads a DICOM file's header from the file's beginning only (the pixel data itself is walked by
// its lengths, never read whole): what import needs to index a file without loading it.

import fs from 'node:fs';
import { NeedMoreBytesError, parseDicom } from './parse.ts';
import type { ParsedDicom } from './parse.ts';

const FIRST_READ = 16 * 1024;

/**
 * Parses a file's header from its beginning only: 16 KiB, then four times more until the pixel
 * data element is reached. The pixel data itself is never read here; the store copies it.
 */
export async function parseFileHeader(file: string): Promise<ParsedDicom> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const readAt = (offset: number, length: number) => {
      const b = Buffer.alloc(length);
      return b.subarray(0, fs.readSync(handle.fd, b, 0, length, offset));
    };
    for (let length = Math.min(size, FIRST_READ); ; length = Math.min(size, length * 4)) {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      try {
        return parseDicom(buffer.subarray(0, bytesRead), { fileSize: size, readAt });
      } catch (error) {
        if (!(error instanceof NeedMoreBytesError) || length >= size) throw error;
      }
    }
  } finally {
    await handle.close();
  }
}
