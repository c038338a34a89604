// The application log. It carries operation names, counts, timings and error codes only: never
// patient names, IDs, dates or file paths that may contain them.

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/**
 * BINOME_LOG_LEVEL as a level (any case), or null where it is unset or names none: "silent", "off"
 * or a typo wrote every line, debug ones too, since no level compares with an unknown one (a probe).
 */
export const LOG_LEVEL_SET: Level | null = (() => {
  const set = process.env.BINOME_LOG_LEVEL?.trim().toLowerCase();
  return set !== undefined && set in ORDER ? set as Level : null;
})();
let threshold: Level = LOG_LEVEL_SET ?? 'info';

function write(level: Level, message: string): void {
  if (ORDER[level] < ORDER[threshold]) return;
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}\n`);
}

/** Says a BINOME_LOG_LEVEL that names no level, once, from the process's entry (not from every thread and child that loads this module). */
export function warnIfLogLevelUnknown(): void {
  if (LOG_LEVEL_SET === null && process.env.BINOME_LOG_LEVEL) {
    write('warn', `BINOME_LOG_LEVEL ${JSON.stringify(process.env.BINOME_LOG_LEVEL.slice(0, 40))} is none of debug, info, warn, error: the default is used`);
  }
}

export const log = {
  setLevel(level: Level): void { threshold = level; },
  debug: (m: string) => write('debug', m),
  info: (m: string) => write('info', m),
  warn: (m: string) => write('warn', m),
  error: (m: string) => write('error', m),
};

const MACHINE_STATES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'SQLITE_FULL', 'SQLITE_BUSY', 'SQLITE_READONLY', 'SQLITE_CANTOPEN']);

/**
 * An error as the log may carry it: its type and stack frames. The message is left out unless the
 * level is debug, since messages can quote data (a patient's name in a malformed file, a path).
 */
export function errorForLog(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const frames = (error.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at ')).slice(0, 8).join('\n');
  // the system's or SQLite's code (ENOSPC, SQLITE_FULL, EACCES) carries no data and tells IT what
  // happened: a full disk read as "Error (message withheld)"
  const code = (error as { code?: unknown }).code;
  const name = typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? `${error.name} ${code}` : error.name;
  // a state of the machine (a full or read-only disk, a permission, the library busy) is no fault in the
  // code: its stack tells IT nothing and repeated it filled the log (a probe's full disk, 6 lines each)
  const frameless = typeof code === 'string' && MACHINE_STATES.has(code) && threshold !== 'debug';
  const where = frameless ? '' : `\n${frames}`;
  return threshold === 'debug' ? `${name}: ${error.message}${where}` : `${name} (message withheld; set BINOME_LOG_LEVEL=debug)${where}`;
}
