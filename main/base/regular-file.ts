// Opening a file that something other than this process may have replaced: a stored file of the
// library, a rendition, a file the user named for import. open(2) of a FIFO (named pipe) blocks
// until a writer comes, which may be never: in one of libuv's four threads, behind which every other
// file operation of the process then queues (the host stops answering, the store check hangs, the
// process no longer stops on SIGINT); open(2) of a device does whatever that device does on open.
//
// So the path is first measured without being opened (lstat, or stat where links are followed) and
// refused unless it is a regular file; then it is opened without blocking (O_NONBLOCK, which changes
// nothing for reads of a regular file) and measured again through the descriptor (fstat), so that a
// file swapped between the two is refused too, and what is read is what was checked.
//
// Links: the store and its renditions are written only by this application, by rename, and never
// hold a symbolic link; a link found there was put there by something else, and is refused like any
// other foreign file (`followLinks: false`, O_NOFOLLOW on the last component; links in the folders
// above, such as a library folder moved elsewhere and linked back, are followed). Files the user
// names for import may be links (`followLinks: true`): what they point to must be a regular file.

import fs from 'node:fs';

/** The path names something other than a regular file (a FIFO, a device, a socket, a directory, or a link where none may be). */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';

  constructor(readonly kind: string) {
    super(`not a regular file (${kind})`);
    this.name = 'NotRegularFileError';
  }
}

export interface RegularFileOptions {
  /** Follow a symbolic link in the last component of the path (default: refuse it). */
  followLinks?: boolean;
}

// Windows has neither flag (nor FIFOs in its file system): there they are 0.
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

const openFlags = (options: RegularFileOptions) => fs.constants.O_RDONLY | O_NONBLOCK | (options.followLinks ? 0 : O_NOFOLLOW);

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSymbolicLink()) return 'symbolic link';
  if (stat.isDirectory()) return 'directory';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  if (stat.isSocket()) return 'socket';
  return 'other';
}

function checked(stat: fs.Stats): fs.Stats {
  if (!stat.isFile()) throw new NotRegularFileError(kindOf(stat));
  return stat;
}

/** O_NOFOLLOW on a link fails with ELOOP: the link was refused, not looped. */
function refusedLink(error: unknown, options: RegularFileOptions): never {
  if (!options.followLinks && (error as NodeJS.ErrnoException)?.code === 'ELOOP') throw new NotRegularFileError('symbolic link');
  throw error;
}

/** A regular file opened for reading, with its size as measured through the descriptor. Close the handle when done. */
export async function openRegularFile(file: string, options: RegularFileOptions = {}): Promise<{ handle: fs.promises.FileHandle; stat: fs.Stats }> {
  await statRegularFile(file, options);
  const handle = await fs.promises.open(file, openFlags(options)).catch((error: unknown) => refusedLink(error, options));
  try {
    return { handle, stat: checked(await handle.stat()) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The synchronous twin of openRegularFile, for worker threads: a descriptor to close with fs.closeSync. */
export function openRegularFileSync(file: string, options: RegularFileOptions = {}): { fd: number; stat: fs.Stats } {
  checked(options.followLinks ? fs.statSync(file) : fs.lstatSync(file));
  let fd: number;
  try {
    fd = fs.openSync(file, openFlags(options));
  } catch (error) {
    refusedLink(error, options);
  }
  try {
    return { fd, stat: checked(fs.fstatSync(fd)) };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** A regular file's measure, taken without opening it (lstat; stat with `followLinks`); throws NotRegularFileError for anything else. */
export async function statRegularFile(file: string, options: RegularFileOptions = {}): Promise<fs.Stats> {
  return checked(await (options.followLinks ? fs.promises.stat(file) : fs.promises.lstat(file)));
}
