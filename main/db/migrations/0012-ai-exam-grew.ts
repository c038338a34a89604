import type { Database } from 'better-sqlite3';

/**
 * An exam analysed, then given more images (a view sent minutes after the others, a repeated one) or
 * fewer, kept the analysis of the images it had: the new image never got marks and the exam score
 * ignored it. Each analysis now records how many images its exam showed when it began
 * (ai_jobs.exam_images, set when a job is claimed), and a change of the exam's image count puts its
 * finished or failed analyses back in the queue (a reader's cancel stands). Analyses made before this
 * migration are taken as made on the exam as it is now.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE ai_jobs ADD COLUMN exam_images INTEGER;
    UPDATE ai_jobs SET exam_images = (SELECT s.image_count FROM studies s WHERE s.id = ai_jobs.study_ref);
    CREATE TRIGGER ai_jobs_exam_images_changed AFTER UPDATE OF image_count ON studies WHEN NEW.image_count IS NOT OLD.image_count BEGIN
      UPDATE ai_jobs SET status = 'queued', priority = 0, queued_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), started_at = NULL, finished_at = NULL,
          owner = NULL, failure_code = NULL, failure_detail = NULL
        WHERE study_ref = NEW.id AND status IN ('done', 'failed') AND exam_images IS NOT NEW.image_count;
    END;
  `);
}
