// The paths the user chose, per window. The renderer is untrusted: over IPC, `importPaths` reads
// only files and folders that the user picked in the desktop file dialog or dropped (or picked) in
// the page, never a path the page merely names. No runtime import of 'electron', so that it is
// tested under Node.
//
// - A granted folder grants everything under it; paths are compared after resolving `.` and `..`
//   lexically, so `granted/../other` is `other` and is refused.
// - Symbolic links: the granted path itself may be a link (the user chose it). Below a granted
//   folder, the real path of what is asked for (of its longest existing prefix, for a path that does
//   not exist) must stay inside the real path of that folder: a link inside a chosen folder cannot
//   reach out of it (the importer's folder walk does not follow links either).
// - A refusal never depends on whether a path outside the grants exists: such paths are refused
//   before the file system is touched, all with the same message.

import fs from 'node:fs';
import path from 'node:path';

import { ipcChannel } from '../../common/api-names.ts';

/** The IPC channel on which the preload reports the paths of Files the user dropped or picked. */
export const GRANT_FILES_CHANNEL = ipcChannel.grantFiles;

/** The one message for every refused path, whether or not it exists. */
export const PATH_NOT_GRANTED =
  'Refused: this window may import only files and folders chosen in its file dialog or dropped on it; choose them with "Import" or drop them on the worklist';

/** Paths accepted per grant call, and remembered per window (the oldest are forgotten first). */
export const MAX_GRANT_PATHS = 100_000;
const MAX_PATH_LENGTH = 4096;

export interface PathGrantsOptions {
  /** The real path of a path, or null when it cannot be resolved (defaults to fs.realpathSync.native). */
  realpath?: (p: string) => string | null;
  maxPerOwner?: number;
}

function defaultRealpath(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

/** An absolute, normalised path, or null for anything that is not an absolute path string. */
export function normalizeGrantPath(p: unknown): string | null {
  if (typeof p !== 'string' || !p.length || p.length > MAX_PATH_LENGTH || p.includes('\0')) return null;
  if (!path.isAbsolute(p)) return null;
  return path.resolve(p);
}

/** True when `child` is `parent` or lies under it (both absolute and normalised). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function selfAndAncestors(p: string): string[] {
  const out = [p];
  for (let up = path.dirname(p); up !== out[out.length - 1]; up = path.dirname(up)) out.push(up);
  return out;
}

export class PathGrants {
  /** owner (a webContents id) → granted path → its real path at grant time. */
  private readonly owners = new Map<number, Map<string, string>>();
  private readonly realpath: (p: string) => string | null;
  private readonly maxPerOwner: number;

  constructor(options: PathGrantsOptions = {}) {
    this.realpath = options.realpath ?? defaultRealpath;
    this.maxPerOwner = options.maxPerOwner ?? MAX_GRANT_PATHS;
  }

  /** The real path of `p`'s longest existing prefix, with the rest appended (p is normalised). */
  private realOf(p: string): string {
    const rest: string[] = [];
    for (let current = p; ; current = path.dirname(current)) {
      const real = this.realpath(current);
      if (real !== null) return rest.length ? path.join(real, ...rest.reverse()) : real;
      const up = path.dirname(current);
      if (up === current) return p;
      rest.push(path.basename(current));
    }
  }

  /** Records paths the user chose; returns the ones recorded (absolute, normalised, without repeats). */
  grant(owner: number, paths: readonly unknown[]): string[] {
    let granted = this.owners.get(owner);
    if (!granted) this.owners.set(owner, (granted = new Map()));
    const accepted = new Set<string>();
    for (const given of paths.slice(0, MAX_GRANT_PATHS)) {
      const p = normalizeGrantPath(given);
      if (p === null || accepted.has(p)) continue;
      granted.delete(p); // re-granting makes it the newest
      granted.set(p, this.realOf(p));
      accepted.add(p);
    }
    while (granted.size > this.maxPerOwner) granted.delete(granted.keys().next().value!);
    return [...accepted];
  }

  /** Whether `owner` may read `p`. */
  allows(owner: number, p: unknown): boolean {
    const wanted = normalizeGrantPath(p);
    const granted = this.owners.get(owner);
    if (wanted === null || !granted) return false;
    let real: string | undefined;
    for (const candidate of selfAndAncestors(wanted)) {
      const grantReal = granted.get(candidate);
      if (grantReal === undefined) continue;
      if (candidate === wanted) return true; // the very path the user chose
      real ??= this.realOf(wanted);
      if (isWithin(real, grantReal)) return true;
    }
    return false;
  }

  /** Whether `owner` may read every one of `paths`. */
  allowsAll(owner: number, paths: readonly unknown[]): boolean {
    return paths.every((p) => this.allows(owner, p));
  }

  /** Forgets a window's grants (when its webContents is destroyed). */
  revoke(owner: number): void {
    this.owners.delete(owner);
  }

  size(owner: number): number {
    return this.owners.get(owner)?.size ?? 0;
  }
}
