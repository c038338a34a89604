// The library's database, one module per domain over one connection: the worklist (what readers
// see), import (what import writes), settings, the audit log, the AI second reader's queue and
// findings, and readers' first impressions (second look). Reports and network jobs will each add
// their module here, and their tables by a new numbered migration.

import type { Database as SqliteDatabase } from 'better-sqlite3';
import { openDatabase } from './connection.ts';
import { WorklistTables } from './worklist.ts';
import { ImportTables } from './imports.ts';
import { SettingsTable } from './settings.ts';
import { AuditLog } from './audit.ts';
import { AiTables } from './ai-jobs.ts';
import { FirstImpressionTable } from './first-impressions.ts';

export class LibraryDatabase {
  readonly connection: SqliteDatabase;
  readonly worklist: WorklistTables;
  readonly imports: ImportTables;
  readonly settings: SettingsTable;
  readonly audit: AuditLog;
  readonly ai: AiTables;
  readonly firstImpressions: FirstImpressionTable;

  constructor(readonly file: string, options: { busyTimeoutMs?: number } = {}) {
    // checkpoints run on the import worker threads (Importer.checkpoint), not inside a commit here
    this.connection = openDatabase(file, { ...options, checkpointElsewhere: true });
    this.worklist = new WorklistTables(this.connection);
    this.imports = new ImportTables(this.connection);
    this.settings = new SettingsTable(this.connection);
    this.audit = new AuditLog(this.connection);
    this.ai = new AiTables(this.connection);
    this.firstImpressions = new FirstImpressionTable(this.connection);
  }

  close(): void {
    if (this.connection.open) this.connection.close();
  }
}
