// The audit log: who opened, read or signed which exam, and when. Actions only, never patient data.
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { Statements, now } from './connection.ts';

export class AuditLog {
  private readonly sql: Statements;
  constructor(db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  record(actor: string, action: string, examId: number | null): void {
    this.sql.get('INSERT INTO audit_log (at, actor, action, study_ref) VALUES (?, ?, ?, ?)').run(now(), actor, action, examId);
  }

  /** Whether the actor's action on the exam is in the log. */
  has(actor: string, action: string, examId: number): boolean {
    const row = this.sql.get('SELECT EXISTS (SELECT 1 FROM audit_log WHERE study_ref = ? AND actor = ? AND action = ?) AS found').get(examId, actor, action) as { found: number };
    return row.found === 1;
  }

  /**
   * Of `examIds`, those whose last change of status was to read, by `actor` (read at this station by its
   * reader: not a prior imported as read, nor the demo's).
   */
  lastReadBy(examIds: readonly number[], actor: string): Set<number> {
    if (examIds.length === 0) return new Set();
    const rows = this.sql.get(`SELECT study_ref, actor, action FROM audit_log WHERE study_ref IN (SELECT value FROM json_each(?)) AND action LIKE 'status:%' ORDER BY id`)
      .all(JSON.stringify(examIds)) as { study_ref: number; actor: string; action: string }[];
    const last = new Map<number, { actor: string; action: string }>();
    for (const row of rows) last.set(row.study_ref, row);
    return new Set([...last].filter(([, r]) => r.actor === actor && r.action === 'status:read').map(([id]) => id));
  }

  /**
   * Of `examIds`, those with the actor's action in the log before the exam was last marked read (one
   * statement for a worklist page): what happened after the read is not how it was read (the AI's marks
   * unlocked by the read itself, and logged as shown, hid a read without a first impression: a probe).
   */
  withActionBeforeLastRead(examIds: readonly number[], actor: string, action: string): Set<number> {
    if (examIds.length === 0) return new Set();
    const rows = this.sql.get(`SELECT DISTINCT a.study_ref FROM audit_log a WHERE a.study_ref IN (SELECT value FROM json_each(?)) AND a.actor = ? AND a.action = ?
        AND a.id < (SELECT max(r.id) FROM audit_log r WHERE r.study_ref = a.study_ref AND r.action = 'status:read')`)
      .all(JSON.stringify(examIds), actor, action) as { study_ref: number }[];
    return new Set(rows.map((r) => r.study_ref));
  }

  /** Whether the exam was ever marked read, by anyone. */
  everRead(examId: number): boolean {
    const row = this.sql.get(`SELECT EXISTS (SELECT 1 FROM audit_log WHERE study_ref = ? AND action = 'status:read') AS found`).get(examId) as { found: number };
    return row.found === 1;
  }

  trail(examId: number): { at: string; actor: string; action: string }[] {
    return this.sql.get('SELECT at, actor, action FROM audit_log WHERE study_ref = ? ORDER BY id').all(examId) as { at: string; actor: string; action: string }[];
  }
}
