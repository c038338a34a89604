import type { Database } from 'better-sqlite3';

/**
 * An exam whose shown analysis failed has no triage score. Before, the score (the worklist's sort
 * key) was the newest *finished* analysis of the shown model, whatever the shown one's state: after
 * the shipped model's 0.4.1 refused a reduced exam's coarse pixels, the exam still sorted by 0.4.0's
 * score of those pixels while its cell said "failed". A shown analysis queued or running (a new
 * version under way) still leaves the previous score in place until it is done, as before. The
 * triggers of migration 0015 are made again with that case (the ordering of main/db/records.ts,
 * written out here: a migration never changes), and every exam's score is computed once.
 */
const SHOWN_FIRST = (j: string) => `(${j}.model_id = coalesce((SELECT value FROM settings WHERE key = 'ai.shownModel'), '')) DESC,
    (${j}.model_id = coalesce((SELECT value FROM settings WHERE key = 'ai.shownModel'), '')
      AND ${j}.model_version = coalesce((SELECT value FROM settings WHERE key = 'ai.shownVersion'), '')) DESC, ${j}.id DESC`;
const SHOWN_SCORE = `(SELECT CASE WHEN (SELECT f.status FROM ai_jobs f WHERE f.study_ref = studies.id ORDER BY ${SHOWN_FIRST('f')} LIMIT 1) = 'failed' THEN NULL
  ELSE (SELECT j.exam_score FROM ai_jobs j WHERE j.study_ref = studies.id AND +j.status = 'done' ORDER BY ${SHOWN_FIRST('j')} LIMIT 1) END)`;

export function up(db: Database): void {
  db.exec(`
    DROP TRIGGER ai_jobs_score_after_insert;
    DROP TRIGGER ai_jobs_score_after_update;
    DROP TRIGGER ai_jobs_score_after_delete;
    DROP TRIGGER ai_shown_model_after_insert;
    DROP TRIGGER ai_shown_model_after_update;
    CREATE TRIGGER ai_jobs_score_after_insert AFTER INSERT ON ai_jobs BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE} WHERE id = NEW.study_ref;
    END;
    CREATE TRIGGER ai_jobs_score_after_update AFTER UPDATE OF study_ref, model_id, model_version, status, exam_score ON ai_jobs BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE} WHERE id IN (NEW.study_ref, OLD.study_ref);
    END;
    CREATE TRIGGER ai_jobs_score_after_delete AFTER DELETE ON ai_jobs BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE} WHERE id = OLD.study_ref;
    END;
    CREATE TRIGGER ai_shown_model_after_insert AFTER INSERT ON settings WHEN NEW.key IN ('ai.shownModel', 'ai.shownVersion') BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE};
    END;
    CREATE TRIGGER ai_shown_model_after_update AFTER UPDATE ON settings WHEN NEW.key IN ('ai.shownModel', 'ai.shownVersion') AND NEW.value IS NOT OLD.value BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE};
    END;
    UPDATE studies SET ai_score = ${SHOWN_SCORE} WHERE id IN (SELECT study_ref FROM ai_jobs WHERE status = 'failed');
  `);
}
