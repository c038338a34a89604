import type { Database } from 'better-sqlite3';

/**
 * The version of the shown model that runs at the station (settings 'ai.shownVersion', written by
 * the AI loop beside 'ai.shownModel') goes before the model's other versions in what an exam shows,
 * its triage score included. Before, the newest job of the shown model's id decided: a library copy
 * of the bundled model under another version, analysed with and then removed, left every exam it
 * had queued showing "queued" for good (no process runs that version), its marks not drawn, and
 * every CAD SR of the exam drawn in their place. The triggers of migration 0010 are made again with
 * the version's place in their order (the ordering of main/db/records.ts, written out here: a
 * migration never changes), and the scores follow a change of the version as of the model.
 */
const SHOWN_SCORE = `(SELECT j.exam_score FROM ai_jobs j WHERE j.study_ref = studies.id AND +j.status = 'done'
  ORDER BY (j.model_id = coalesce((SELECT value FROM settings WHERE key = 'ai.shownModel'), '')) DESC,
    (j.model_id = coalesce((SELECT value FROM settings WHERE key = 'ai.shownModel'), '')
      AND j.model_version = coalesce((SELECT value FROM settings WHERE key = 'ai.shownVersion'), '')) DESC, j.id DESC LIMIT 1)`;

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
  `);
}
