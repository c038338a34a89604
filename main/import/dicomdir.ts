// Resolving the files a DICOMDIR lists (Referenced File IDs, each a list of path components)
// against the DICOMDIR's own folder, as media written on Windows need: case-insensitively. A
// component that would leave that folder ("..", a separator, an absolute path) resolves to nothing,
// and so does a path that leaves it through a symbolic link (a linked folder or file whose real
// place is elsewhere): a DICOMDIR cannot make the station read files elsewhere on the computer.

import fs from 'node:fs';
import path from 'node:path';
import type { ReferencedFile } from '../dicom/attributes.ts';

function safeComponent(component: string): boolean {
  return component.length > 0 && component !== '.' && component !== '..' && !/[\\/\0]/.test(component) && !path.isAbsolute(component);
}

/** Whether `file` (a real path) lies under the folder `dir` (a real path). */
function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}

/**
 * The file a DICOMDIR's record names: its path, 'outside' where a symbolic link on the way leads
 * out of the DICOMDIR's folder (never opened: the walk does not follow links to folders either),
 * or null where there is none.
 */
export function resolveReferencedFile(baseDir: string, components: readonly string[]): string | 'outside' | null {
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
  // existsSync and statSync follow links: where the path really leads is checked before it is read
  let real: string;
  let realBase: string;
  try {
    real = fs.realpathSync(current);
    realBase = fs.realpathSync(baseDir);
  } catch { return null; }
  if (!isInside(realBase, real)) return 'outside';
  return fs.statSync(real, { throwIfNoEntry: false })?.isFile() ? current : null;
}

/** A file a DICOMDIR lists that its media lacks: the path it should have, and whose it is (from the DICOMDIR's records). */
export interface MissingFile {
  file: string;
  studyUid: string | null;
  sopInstanceUid: string | null;
}

/**
 * The files a DICOMDIR lists, split into those present, those missing, and those whose path leads
 * out of the DICOMDIR's folder through a symbolic link (not read).
 */
export function resolveDicomDir(dicomdir: string, referencedFiles: readonly ReferencedFile[]): { found: string[]; missing: MissingFile[]; outside: MissingFile[] } {
  const base = path.dirname(dicomdir);
  const found: string[] = [];
  const missing: MissingFile[] = [];
  const outside: MissingFile[] = [];
  for (const { components, studyUid, sopInstanceUid } of referencedFiles) {
    const resolved = resolveReferencedFile(base, components);
    if (resolved === 'outside') outside.push({ file: path.join(base, ...components), studyUid, sopInstanceUid });
    else if (resolved) found.push(resolved);
    else missing.push({ file: path.join(base, ...components.filter(safeComponent)), studyUid, sopInstanceUid });
  }
  return { found, missing, outside };
}
