// Which computer a library is used from. A library's processes must all run on one computer (one
// system and one process namespace): SQLite's write-ahead log shares memory between them, which a
// network share does not, and every cleanup after a process that is gone (its unfinished files, its
// running analyses, its claimed jobs) asks this system whether the process's pid still runs, which
// says nothing of a process on another computer or in another container: probes saw a second
// computer's station take a live one's analyses back and delete its folders.
//
// So each station says it is there with a file of its own in the library's `processes/` folder, its
// time refreshed every HEARTBEAT_MS, and removed when it closes. A station opened while another
// computer's file is fresh is refused, in words that name that computer; files left by processes of
// this computer that are gone, and other computers' files not refreshed for STALE_MS, are removed.
// Times are compared with the time the library's disk gave this station's own file just written,
// not with this computer's clock: a network share's computers need not agree on the time.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isOwnerAlive } from './process-owner.ts';
import { LibraryOpenError } from './library-open-error.ts';
import { errorForLog, log } from './log.ts';
import { diskProblem } from './disk.ts';

export const HEARTBEAT_MS = 30_000;
/** A file of another computer not refreshed for this long is one whose process is gone (or asleep). */
export const STALE_MS = 3 * 60_000;
export const PROCESSES_FOLDER = 'processes';
/** A presence is a few hundred bytes: a larger file is none (and is not read). */
const PRESENCE_MAX_BYTES = 16 * 1024;
const FUTURE_IGNORED_MS = 24 * 3600_000;

/** A host name read from a file anyone could write, as it may be shown: printable, and short (a probe's held terminal escapes). */
function shownHostname(name: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim().slice(0, 64);
  return printable || '?';
}

/** This computer as a library sees it: the same `machine` and `pidNamespace` share process ids. */
export interface ComputerIdentity {
  /** The system's machine id where it has one (Linux), else the host name. */
  machine: string;
  /** The process namespace (Linux: a container has its own), '' elsewhere. */
  pidNamespace: string;
  /** This boot of the system (Linux), or null: a file of an earlier boot is of a process that is gone. */
  bootId: string | null;
  /** Shown to users: which computer holds a library. */
  hostname: string;
}

interface Registration extends ComputerIdentity {
  owner: string;
  startedAt: string;
}

function readTrimmed(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export function thisComputer(): ComputerIdentity {
  const hostname = os.hostname();
  if (process.platform !== 'linux') return { machine: hostname, pidNamespace: '', bootId: null, hostname };
  let pidNamespace = '';
  try { pidNamespace = fs.readlinkSync('/proc/self/ns/pid'); } catch { /* no /proc: as one namespace */ }
  return {
    // the host name too: cloned systems can share a machine id
    machine: `${readTrimmed('/etc/machine-id') ?? readTrimmed('/var/lib/dbus/machine-id') ?? ''}@${hostname}`,
    pidNamespace,
    bootId: readTrimmed('/proc/sys/kernel/random/boot_id'),
    hostname,
  };
}

/** The library is in use on another computer: said with its name and how long ago it was last seen there. */
export class LibraryElsewhereError extends LibraryOpenError {
  constructor(readonly hostname: string, secondsAgo: number) {
    const minutes = Math.max(1, Math.ceil((STALE_MS / 1000 - secondsAgo) / 60));
    super('ELIBRARYELSEWHERE', 'error.libraryElsewhere', { host: hostname, seconds: Math.max(0, Math.round(secondsAgo)), minutes },
      `the library is in use by Binome on another computer or container (${hostname}, seen ${Math.max(0, Math.round(secondsAgo))} s ago): a library can be used from one computer at a time; close Binome there, or, if it no longer runs there, open the library here again in ${minutes} min`);
  }
}

export interface ComputerPresence {
  /** Stops refreshing and removes this station's file. */
  release(): void;
}

/**
 * Says this station is there (see the top of this file), or throws LibraryElsewhereError where
 * another computer's station is. `ownerName` names this station's file (ownedFolderName: unique per
 * opening); `owner` is the process, for isOwnerAlive. `onLost` is called if this station's file is
 * removed under it by another computer's station (this computer was asleep past STALE_MS): it must
 * then stop using the library.
 */
export function registerPresence(libraryRoot: string, owner: string, ownerName: string,
  onLost: (byHostname: string) => void, options: { heartbeatMs?: number; identity?: ComputerIdentity } = {}): ComputerPresence {
  const folder = path.join(libraryRoot, PROCESSES_FOLDER);
  const identity = options.identity ?? thisComputer();
  const file = path.join(folder, `${ownerName}.json`);
  const registration: Registration = { ...identity, owner, startedAt: new Date().toISOString() };
  const write = (): void => {
    const tmp = path.join(folder, `.${ownerName}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(registration), { mode: 0o600 });
    fs.renameSync(tmp, file);
  };
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    write();
  } catch (error) {
    // the library's disk full, or this folder alone not writable (a file in its place, a read-only
    // mount over it): said so in words, not as mkdir's EEXIST or open's EROFS (a probe)
    const problem = diskProblem(libraryRoot) ?? new LibraryOpenError('EPRESENCE', 'error.libraryPresence',
      { dir: folder, reason: String((error as NodeJS.ErrnoException).code ?? (error as Error).message).slice(0, 40) },
      `the library cannot be opened: its folder ${folder}, which says which Binome stations use the library, cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    throw Object.assign(problem, { cause: error });
  }
  const elsewhere = othersElsewhere(folder, file, identity);
  if (elsewhere) {
    fs.rmSync(file, { force: true });
    throw new LibraryElsewhereError(elsewhere.hostname, elsewhere.ageMs / 1000);
  }
  let released = false;
  const timer = setInterval(() => {
    if (released) return;
    try {
      if (!fs.existsSync(file)) {
        // removed by another computer's station that found it stale: that station is there now; removed
        // otherwise (the folder cleared by hand), written again (first, for the disk's time)
        fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
        write();
        const taker = othersElsewhere(folder, file, identity, { clean: false });
        if (taker) {
          released = true;
          clearInterval(timer);
          fs.rmSync(file, { force: true });
          onLost(taker.hostname);
        }
        return;
      }
      write();
    } catch (error) {
      // a full disk or a share gone a moment: tried again at the next beat (STALE_MS is six of them)
      log.warn(`library presence not refreshed: ${errorForLog(error)}`);
    }
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();
  return {
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      fs.rmSync(file, { force: true });
    },
  };
}

/**
 * The freshest file of a station on another computer, or null; on the way (unless `clean` is false),
 * files of this computer's processes that are gone and other computers' stale files are removed.
 */
function othersElsewhere(folder: string, ownFile: string, self: ComputerIdentity, { clean = true } = {}): { hostname: string; ageMs: number } | null {
  // the disk's time now: that of the file this station has just written
  let diskNow = Date.now();
  try { diskNow = fs.statSync(ownFile).mtimeMs; } catch { /* removed under it: this computer's clock */ }
  let freshest: { hostname: string; ageMs: number } | null = null;
  for (const name of fs.readdirSync(folder)) {
    const file = path.join(folder, name);
    if (file === ownFile || !name.endsWith('.json')) continue;
    let mtimeMs = diskNow;
    let other: Partial<Registration> | null = null;
    try {
      // (not followed, not read: what no station writes, a link, a pipe, a folder, a file larger than a
      // presence, is no presence; a FIFO hung every station's start, /dev/zero filled its memory, a probe)
      const stat = fs.lstatSync(file);
      if (!stat.isFile() || stat.size > PRESENCE_MAX_BYTES) continue;
      mtimeMs = stat.mtimeMs;
      other = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Registration>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // its station closed meanwhile
    }
    // a presence from the future (a computer whose clock is ahead writing on a share) is as fresh as can
    // be; one from far in the future was never written by a station (touched by hand: a day's lockout, a probe)
    if (mtimeMs - diskNow > FUTURE_IGNORED_MS) continue;
    const ageMs = Math.max(0, diskNow - mtimeMs);
    const sameComputer = other !== null && other.machine === self.machine && other.pidNamespace === self.pidNamespace;
    let gone: boolean;
    if (sameComputer) {
      gone = (other!.bootId != null && self.bootId != null && other!.bootId !== self.bootId) || !isOwnerAlive(String(other!.owner ?? ''));
    } else if (ageMs >= STALE_MS) {
      gone = true;
      if (other && clean) log.info(`library: the presence of a station on another computer, not refreshed for ${Math.round(ageMs / 60_000)} min, removed`);
    } else {
      gone = false;
      // a file that cannot be read (being written by an older station, damaged) and fresh: counted as another computer's
      const hostname = typeof other?.hostname === 'string' ? shownHostname(other.hostname) : '?';
      if (!freshest || ageMs < freshest.ageMs) freshest = { hostname, ageMs };
    }
    if (gone && clean) fs.rmSync(file, { force: true });
  }
  return freshest;
}
