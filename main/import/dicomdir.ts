// Resolving the files a DICOMDIR lists (Referenced File IDs, each a list of path components)
// against the DICOMDIR's own folder, as media written on Windows need: case-insensitively. A
// component that would leave that folder ("..", a separator, an absolute path) resolves to nothing:
// a DICOMDIR cannot make the station read files elsewhere on the computer.

import fs from 'node:fs';
import path from 'node:path';
import type { ReferencedFile } from '../dicom/attributes.ts';

function safeComponent(component: string): boolean {
  return component.length > 0 && component !== '.' && component !== '..' && !/[\\/\0]/.test(component) && !path.isAbsolute(component);
}

export function resolveReferencedFile(baseDir: string, components: readonly string[]): string | null {
  if (!components.length || !components.every(safeComponent)) return null;
  let current = baseDir;
  for (const component of components) {
    const exact = path.join(current, component);
    if (fs.existsSync(exact)) { current = exact; continue; }
    let match: string | undefined;
    try {
      match = fs.readdirSync(current).find((n) => n.toUpperCase() === component.toUpperCase());
    } catch { return null; }
    if (!match) return null;
    current = path.join(current, match);
  }
  return fs.statSync(current, { throwIfNoEntry: false })?.isFile() ? current : null;
}

/** A file a DICOMDIR lists that its media lacks: the path it should have, and whose it is (from the DICOMDIR's records). */
export interface MissingFile {
  file: string;
  studyUid: string | null;
  sopInstanceUid: string | null;
}

/** The files a DICOMDIR lists, split into those present and those missing. */
export function resolveDicomDir(dicomdir: string, referencedFiles: readonly ReferencedFile[]): { found: string[]; missing: MissingFile[] } {
  const base = path.dirname(dicomdir);
  const found: string[] = [];
  const missing: MissingFile[] = [];
  for (const { components, studyUid, sopInstanceUid } of referencedFiles) {
    const resolved = resolveReferencedFile(base, components);
    if (resolved) found.push(resolved);
    else missing.push({ file: path.join(base, ...components.filter(safeComponent)), studyUid, sopInstanceUid });
  }
  return { found, missing };
}
