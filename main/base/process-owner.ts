// Who owns a piece of shared state in the library (an import job, a folder of temporary files):
// a process, named by its pid and, where the system tells it, its start time, so that a pid the
// system has since given to another program is not mistaken for the owner. Several processes
// (the desktop app, `binome serve`, `binome import`, `binome list`) may use one library at once;
// each cleans up only after owners that are gone.

import fs from 'node:fs';
import { randomBytes } from 'node:crypto';

/** A process's start time in clock ticks since boot (Linux), or null where it cannot be read. */
function startTime(pid: number | 'self'): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3 of stat); the start time is field 22
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

let current: string | null = null;

/** This process, as an owner: "<pid>:<start time>" (or "<pid>:?" where the start time is unknown). */
export function currentOwner(): string {
  current ??= `${process.pid}:${startTime('self') ?? '?'}`;
  return current;
}

/** Whether the owning process still runs. A zombie (killed but not reaped) does not. */
export function isOwnerAlive(owner: string): boolean {
  const [pidText, started] = owner.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (owner === currentOwner()) return true;
  if (process.platform === 'linux') {
    const now = startTime(pid);
    return now !== null && (started === '?' || started === undefined || now === started);
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A folder name for one user of the library in this process (a process may open a library more
 * than once): "<pid>-<start time>-<random>", so that cleaning up after owners that are gone never
 * touches a live one's folder.
 */
export function ownedFolderName(): string {
  return `${currentOwner().replace(':', '-').replace('?', '0')}-${randomBytes(4).toString('hex')}`;
}

/** The owner of a folder named by ownedFolderName (or by the older "<pid>-<start time>"), or null for other names. */
export function ownerFromFolderName(name: string): string | null {
  const m = name.match(/^(\d+)-(\d+)(?:-[0-9a-f]+)?$/);
  return m ? `${m[1]}:${m[2] === '0' ? '?' : m[2]}` : null;
}
