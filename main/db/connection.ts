// Opening the library database: better-sqlite3 in WAL mode (readers never wait for the writer),
// brought up to date by numbered migrations. Several processes may open one library at once; a
// writer that finds the database locked waits up to BUSY_TIMEOUT_MS before giving up with
// SQLITE_BUSY, which the service turns into a "the library is busy" answer.

import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { migrate } from './migrations/index.ts';
import { diskProblem } from '../base/disk.ts';
import type { DiskLook } from '../base/disk.ts';

export const BUSY_TIMEOUT_MS = 10_000;
/** The write-ahead log's size kept once it starts over after a checkpoint (journal_size_limit). */
export const WAL_KEPT_BYTES = 4 * 1024 * 1024;

export interface OpenOptions {
  readonly?: boolean;
  busyTimeoutMs?: number;
  /**
   * Leave WAL checkpoints to checkpointDatabase() on another thread. SQLite otherwise copies the
   * log back into the database inside whichever commit passes 1,000 pages: a 50–90 ms stall of the
   * main process's event loop in the middle of an import.
   */
  checkpointElsewhere?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): SqliteDatabase {
  let db: SqliteDatabase | null = null;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      if (options.checkpointElsewhere) db.pragma('wal_autocheckpoint = 0');
      // once checkpointed, the log is cut back to this when it starts over: SQLite never shrinks it
      // by itself, and a flood of small writes left a 110 MB log by a 315 kB library (a probe)
      db.pragma(`journal_size_limit = ${WAL_KEPT_BYTES}`);
      migrate(db);
    }
    return db;
  } catch (error) {
    db?.close();
    throw explainOpenFailure(file, error);
  }
}

/**
 * Why SQLite could not open or write the library, where the disk says so (full, read-only): an error
 * saying it, with SQLite's as its cause; others pass as they are.
 */
export function explainOpenFailure(file: string, error: unknown, disk?: DiskLook): unknown {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (!/^SQLITE_(IOERR|CANTOPEN|FULL|READONLY)/.test(code)) return error;
  const problem = diskProblem(path.dirname(file), disk);
  return problem ? Object.assign(problem, { cause: error }) : error;
}

const checkpointers = new Map<string, SqliteDatabase>();

/**
 * Copies the write-ahead log back into the database without waiting for readers or writers
 * (PASSIVE), from a connection of this thread's own: meant for a worker thread.
 */
export function checkpointDatabase(file: string): { logPages: number; checkpointedPages: number } {
  let db = checkpointers.get(file);
  if (!db) checkpointers.set(file, (db = new Database(file, { timeout: BUSY_TIMEOUT_MS })));
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
  return { logPages: row?.log ?? 0, checkpointedPages: row?.checkpointed ?? 0 };
}

/** True for SQLite's "database is locked / busy" failures (another process holds the write lock too long). */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** True for a library (or its disk) that is full: SQLite's SQLITE_FULL, the system's ENOSPC. It passes once space is freed. */
export function isFullError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

/** Prepared statements, prepared once per connection and reused; the SQL text is the key. */
export class Statements {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: SqliteDatabase) {}

  get(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
}

export const now = (): string => new Date().toISOString();
