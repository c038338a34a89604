// The library's database, one module per domain over one connection: the worklist (what readers
// see), import (what import writes), settings, the audit log, the AI second reader's queue and
// findings, and readers' first impressions (second look). Reports and network jobs will each add
// their module here, and their tables by a new numbered migration.

import fs from 'node:fs';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { openDatabase } from './connection.ts';
import { WorklistTables } from './worklist.ts';
import { ImportTables } from './imports.ts';
import { SettingsTable } from './settings.ts';
import { AuditLog } from './audit.ts';
import { AiTables } from './ai-jobs.ts';
import { FirstImpressionTable } from './first-impressions.ts';
import { CadReportTables } from './cad-reports.ts';
import { PacsTables } from './pacs.ts';

export class LibraryDatabase {
  readonly connection: SqliteDatabase;
  readonly worklist: WorklistTables;
  readonly imports: ImportTables;
  readonly settings: SettingsTable;
  readonly audit: AuditLog;
  readonly ai: AiTables;
  readonly firstImpressions: FirstImpressionTable;
  readonly cadReports: CadReportTables;
  readonly pacs: PacsTables;

  constructor(readonly file: string, options: { busyTimeoutMs?: number } = {}) {
    // checkpoints run on the import worker threads (Importer.checkpoint), not inside a commit here
    this.connection = openDatabase(file, { ...options, checkpointElsewhere: true });
    this.worklist = new WorklistTables(this.connection);
    this.imports = new ImportTables(this.connection);
    this.settings = new SettingsTable(this.connection);
    this.audit = new AuditLog(this.connection);
    this.ai = new AiTables(this.connection);
    this.firstImpressions = new FirstImpressionTable(this.connection);
    this.cadReports = new CadReportTables(this.connection);
    this.pacs = new PacsTables(this.connection);
  }

  /**
   * Puts what has been committed on disk. Commits are not flushed one by one (synchronous=NORMAL in
   * WAL mode: they survive a crash of the process, not a power loss, until the log is checkpointed);
   * flushing the log file makes every commit written so far survive power loss too. Off the main
   * thread (the thread pool's fdatasync).
   */
  async syncLog(): Promise<void> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(`${this.file}-wal`, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // checkpointed and removed: in the database file, which a checkpoint syncs
      throw error;
    }
    try { await handle.datasync(); } finally { await handle.close(); }
  }

  close(): void {
    if (this.connection.open) this.connection.close();
  }
}
