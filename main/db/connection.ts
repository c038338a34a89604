// Opening the library database: better-sqlite3 in WAL mode (readers never wait for the writer),
// brought up to date by numbered migrations. Several processes may open one library at once; a
// writer that finds the database locked waits up to BUSY_TIMEOUT_MS before giving up with
// SQLITE_BUSY, which the service turns into a "the library is busy" answer.

import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { migrate } from './migrations/index.ts';

export const BUSY_TIMEOUT_MS = 10_000;

export function openDatabase(file: string, options: { readonly?: boolean; busyTimeoutMs?: number } = {}): SqliteDatabase {
  const db = new Database(file, { readonly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  return db;
}

/** True for SQLite's "database is locked / busy" failures (another process holds the write lock too long). */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
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
