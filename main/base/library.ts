// The library: one folder holding the worklist database and the image store. By default it lives
// in the user's data folder, at the same place Electron's app.getPath('userData') points to.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diskProblem, readOnlyProblem } from './disk.ts';

export const APP_NAME = 'Binome';

/** The per-user application data folder, as Electron computes it for an app named Binome. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
}

export function defaultLibraryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BINOME_LIBRARY || path.join(defaultUserDataDir(env), 'library');
}

export interface LibraryPaths {
  root: string;
  database: string;
  store: string;
}

/**
 * Creates the library folder on first use and returns where its parts live. The folder is the
 * user's alone (0700 where the system has such modes): it holds patients' names and images, and
 * with the default umask its database and files were readable by every local user (a probe). A
 * library of this user's made before is made private too (makePrivate says which are left).
 */
export function prepareLibrary(root: string): LibraryPaths {
  const resolved = path.resolve(root);
  const existed = fs.existsSync(resolved);
  try {
    fs.mkdirSync(path.join(resolved, 'store'), { recursive: true, mode: 0o700 });
  } catch (error) {
    // a new library on a read-only or full disk: said so, not as mkdir's ENOENT (which it gave on a
    // read-only mount) or EACCES
    const problem = diskProblem(nearestFolder(resolved));
    throw problem ? Object.assign(problem, { cause: error }) : error;
  }
  if (existed) makePrivate(resolved);
  // a library on a read-only disk is said so here, before SQLite or the store fail in their own words
  const readOnly = readOnlyProblem(resolved);
  if (readOnly) throw readOnly;
  return { root: resolved, database: path.join(resolved, 'worklist.sqlite'), store: path.join(resolved, 'store') };
}

/** The folder itself, or the nearest folder above it that exists. */
function nearestFolder(folder: string): string {
  let at = folder;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}

/**
 * The folder's group and others' access taken away (POSIX only), where it is a library of this
 * user's as a umask leaves it: never a folder that is not a library yet (--library pointed at a
 * folder with other things in it, /tmp), nor one shared on purpose (group-writable, or with its
 * setgid or sticky bit: a probe saw a 2770 group folder and a 1777 one made 0700).
 */
function makePrivate(folder: string): void {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  try {
    const stat = fs.statSync(folder);
    const shared = (stat.mode & 0o7000) !== 0 || (stat.mode & 0o020) !== 0;
    if (stat.uid !== process.getuid() || shared || (stat.mode & 0o077) === 0) return;
    if (!fs.existsSync(path.join(folder, 'worklist.sqlite'))) return;
    fs.chmodSync(folder, stat.mode & 0o700);
  } catch { /* a disk that refuses modes (FAT, some network shares): as it is */ }
}
