import type { Database } from 'better-sqlite3';
import * as m0001 from './0001-worklist.ts';
import * as m0002 from './0002-settings-audit.ts';
import * as m0003 from './0003-import-sources.ts';
import * as m0004 from './0004-shared-library.ts';
import * as m0005 from './0005-ai-analysis.ts';
import * as m0006 from './0006-first-impressions.ts';
import * as m0007 from './0007-received-imports.ts';
import * as m0008 from './0008-cad-reports.ts';
import * as m0009 from './0009-pacs.ts';
import * as m0010 from './0010-ai-triage-score.ts';
import * as m0011 from './0011-ai-jobs-by-model.ts';
import * as m0012 from './0012-ai-exam-grew.ts';
import * as m0013 from './0013-pacs-fetched.ts';
import * as m0014 from './0014-import-fetched-from.ts';
import * as m0015 from './0015-ai-shown-version.ts';
import * as m0016 from './0016-ai-job-paused.ts';
import * as m0017 from './0017-ai-failed-score.ts';
import * as m0018 from './0018-ai-unread-images.ts';
import * as m0019 from './0019-ai-jobs-recent-first.ts';
import * as m0020 from './0020-breast-box.ts';
import * as m0021 from './0021-ai-manifest-checksum.ts';
import * as m0022 from './0022-ai-results-digest.ts';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
  /**
   * The migration rebuilds tables that others reference (SQLite's way to drop a constraint):
   * foreign keys are switched off while it runs and checked before it commits.
   */
  rebuildsTables?: boolean;
}

/** Every migration, in order. A migration is never edited once released: add the next number. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'worklist', up: m0001.up },
  { version: 2, name: 'settings-audit', up: m0002.up },
  { version: 3, name: 'import-sources', up: m0003.up },
  { version: 4, name: 'shared-library', up: m0004.up, rebuildsTables: true },
  { version: 5, name: 'ai-analysis', up: m0005.up },
  { version: 6, name: 'first-impressions', up: m0006.up },
  { version: 7, name: 'received-imports', up: m0007.up },
  { version: 8, name: 'cad-reports', up: m0008.up },
  { version: 9, name: 'pacs', up: m0009.up },
  { version: 10, name: 'ai-triage-score', up: m0010.up },
  { version: 11, name: 'ai-jobs-by-model', up: m0011.up },
  { version: 12, name: 'ai-exam-grew', up: m0012.up },
  { version: 13, name: 'pacs-fetched', up: m0013.up },
  { version: 14, name: 'import-fetched-from', up: m0014.up },
  { version: 15, name: 'ai-shown-version', up: m0015.up },
  { version: 16, name: 'ai-job-paused', up: m0016.up },
  { version: 17, name: 'ai-failed-score', up: m0017.up },
  { version: 18, name: 'ai-unread-images', up: m0018.up },
  { version: 19, name: 'ai-jobs-recent-first', up: m0019.up },
  { version: 20, name: 'breast-box', up: m0020.up },
  { version: 21, name: 'ai-manifest-checksum', up: m0021.up },
  { version: 22, name: 'ai-results-digest', up: m0022.up },
];

export class DatabaseTooNewError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(`The library database is at schema version ${found}, newer than this version of Binome supports (${supported}). Update Binome to open it.`);
    this.name = 'DatabaseTooNewError';
  }
}

/**
 * Brings the database to the latest schema version, each migration in its own transaction on
 * `user_version`. Refuses a database written by a newer version rather than guessing. Each step
 * takes the write lock first (BEGIN IMMEDIATE) and reads the version under it, so that two
 * processes opening a new library at once never run the same migration twice.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > latest) throw new DatabaseTooNewError(from, latest);
  for (const m of migrations.slice(from)) {
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    if (m.rebuildsTables && foreignKeys) db.pragma('foreign_keys = OFF'); // cannot change inside a transaction
    try {
      db.transaction(() => {
        const now = db.pragma('user_version', { simple: true }) as number;
        if (now >= m.version) return; // another process got there first
        if (now !== m.version - 1) throw new Error(`The library database is at version ${now}; expected ${m.version - 1} before migration ${m.name}`);
        m.up(db);
        if (m.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length) throw new Error(`Migration ${m.name} would break ${broken.length} reference(s)`);
        }
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } finally {
      if (m.rebuildsTables && foreignKeys) db.pragma('foreign_keys = ON');
    }
  }
  return { from, to: latest };
}
