import type { Database } from 'better-sqlite3';

/**
 * The worklist's triage sort (by AI exam score) reads the score from the exam's own row,
 * studies.ai_score, indexed, instead of finding it among the exam's analyses for every exam: at
 * 100,000 exams that took 150 ms a page (`npm run bench -- worklist`), against tens of ms for the
 * other sorts. Triggers keep it equal to the score the exam shows: its finished analysis by the
 * shown model (settings 'ai.shownModel', written by the AI loop) first, else its newest finished
 * analysis (the ordering of main/db/records.ts, written out here: a migration never changes).
 * They run on every change to an exam's analyses and, for every exam, when the shown model changes.
 * The unary + keeps SQLite on the exam's own analyses (study_ref): left to itself, without table
 * statistics, it walked every finished analysis of the library (the status index) for each exam.
 */
const SHOWN_SCORE = `(SELECT j.exam_score FROM ai_jobs j WHERE j.study_ref = studies.id AND +j.status = 'done'
  ORDER BY (j.model_id = coalesce((SELECT value FROM settings WHERE key = 'ai.shownModel'), '')) DESC, j.id DESC LIMIT 1)`;

export function up(db: Database): void {
  db.exec(`
    ALTER TABLE studies ADD COLUMN ai_score REAL;
    UPDATE studies SET ai_score = ${SHOWN_SCORE};
    CREATE INDEX studies_ai_score ON studies (ai_score, study_date, id);
    CREATE TRIGGER ai_jobs_score_after_insert AFTER INSERT ON ai_jobs BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE} WHERE id = NEW.study_ref;
    END;
    CREATE TRIGGER ai_jobs_score_after_update AFTER UPDATE OF study_ref, model_id, status, exam_score ON ai_jobs BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE} WHERE id IN (NEW.study_ref, OLD.study_ref);
    END;
    CREATE TRIGGER ai_jobs_score_after_delete AFTER DELETE ON ai_jobs BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE} WHERE id = OLD.study_ref;
    END;
    CREATE TRIGGER ai_shown_model_after_insert AFTER INSERT ON settings WHEN NEW.key = 'ai.shownModel' BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE};
    END;
    CREATE TRIGGER ai_shown_model_after_update AFTER UPDATE ON settings WHEN NEW.key = 'ai.shownModel' AND NEW.value IS NOT OLD.value BEGIN
      UPDATE studies SET ai_score = ${SHOWN_SCORE};
    END;
  `);
}
