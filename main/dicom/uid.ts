import { createHash } from 'node:crypto';

/**
 * A deterministic DICOM UID under the 2.25 root (a UUID-derived integer, PS3.5 B.2): the same
 * parts always give the same UID, different parts practically never collide.
 */
export function derivedUid(...parts: (string | number)[]): string {
  const digest = createHash('sha256').update(parts.join('/')).digest();
  return `2.25.${BigInt('0x' + digest.subarray(0, 15).toString('hex')).toString()}`;
}
