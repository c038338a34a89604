// User settings: one key, one text value.
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { Statements } from './connection.ts';

export class SettingsTable {
  private readonly sql: Statements;
  constructor(private readonly db: SqliteDatabase) {
    this.sql = new Statements(db);
  }

  get(key: string): string | null {
    return (this.sql.get('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  set(key: string, value: string): void {
    this.sql.get('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Writes the values that differ from those kept, in one transaction (readers see all or none). */
  setChanged(values: Record<string, string>): void {
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(values)) if (this.get(key) !== value) this.set(key, value);
    }).immediate();
  }
}
