import type { Database } from 'better-sqlite3';
import * as m0001 from './0001-worklist.ts';
import * as m0002 from './0002-settings-audit.ts';
import * as m0003 from './0003-import-sources.ts';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

/** Every migration, in order. A migration is never edited once released: add the next number. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'worklist', up: m0001.up },
  { version: 2, name: 'settings-audit', up: m0002.up },
  { version: 3, name: 'import-sources', up: m0003.up },
];

export class DatabaseTooNewError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(`The library database is at schema version ${found}, newer than this version of Binome supports (${supported}). Update Binome to open it.`);
    this.name = 'DatabaseTooNewError';
  }
}

/**
 * Brings the database to the latest schema version, each migration in its own transaction on
 * `user_version`. Refuses a database written by a newer version rather than guessing.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > latest) throw new DatabaseTooNewError(from, latest);
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: latest };
}
