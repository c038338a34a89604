import type { Database } from 'better-sqlite3';

/**
 * A library shared by several processes, and what import learned from real use:
 * - study_holds: every running or unfinished import job that holds an exam back from the worklist
 *   (studies.pending_job stays as the index-friendly "held by at least this job" column);
 * - import_jobs.owner: the owning process as "pid:start time", so a reused pid is not taken for
 *   the owner; import_jobs.skipped: files that were not DICOM at all;
 * - patients lose UNIQUE (patient_id, issuer): two women sharing an ID (and issuer) but not a
 *   birth date or a name stay two patients, and each exam keeps the name (its search form) and birth
 *   date its files gave;
 * - studies.breast for the breast-imaging worklist; image_count counts displayed images only and
 *   object_count the other objects (dose reports, SR, FOR PROCESSING images); series.body_part;
 * - instances.warnings: reservations found at import; instances.readable_length: the bytes a reader
 *   is given when unreadable bytes follow the pixel data (the stored file stays whole);
 *   instances.display_rendition: the longest side of the reduced copy the viewer paints first;
 * - quarantine rows say what and whose exam.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE patients_new (
      id            INTEGER PRIMARY KEY,
      patient_id    TEXT NOT NULL,
      issuer        TEXT NOT NULL DEFAULT '',
      name          TEXT NOT NULL DEFAULT '',
      name_search   TEXT NOT NULL DEFAULT '',
      birth_date    TEXT,
      sex           TEXT
    );
    INSERT INTO patients_new (id, patient_id, issuer, name, name_search, birth_date, sex)
      SELECT id, patient_id, issuer, name, name_search, birth_date, sex FROM patients;
    DROP TABLE patients;
    ALTER TABLE patients_new RENAME TO patients;
    CREATE INDEX patients_name_search ON patients (name_search);
    CREATE INDEX patients_identifier ON patients (patient_id, issuer);

    ALTER TABLE studies ADD COLUMN breast INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE studies ADD COLUMN object_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE studies ADD COLUMN received_name TEXT;
    ALTER TABLE studies ADD COLUMN received_birth_date TEXT;
    CREATE INDEX studies_breast_date ON studies (breast, study_date, study_time, pending_job);

    ALTER TABLE series ADD COLUMN body_part TEXT;
    ALTER TABLE instances ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE instances ADD COLUMN readable_length INTEGER;
    ALTER TABLE instances ADD COLUMN display_rendition INTEGER;

    ALTER TABLE import_jobs ADD COLUMN owner TEXT;
    ALTER TABLE import_jobs ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
    UPDATE import_jobs SET owner = pid || ':?';

    ALTER TABLE quarantine ADD COLUMN code TEXT;
    ALTER TABLE quarantine ADD COLUMN params TEXT;
    ALTER TABLE quarantine ADD COLUMN study_uid TEXT;
    ALTER TABLE quarantine ADD COLUMN sop_uid TEXT;
    ALTER TABLE quarantine ADD COLUMN kept_copy TEXT;
    CREATE INDEX quarantine_study ON quarantine (study_uid);

    CREATE TABLE study_holds (
      study_ref  INTEGER NOT NULL REFERENCES studies (id),
      job_ref    INTEGER NOT NULL REFERENCES import_jobs (id),
      PRIMARY KEY (study_ref, job_ref)
    ) WITHOUT ROWID;
    CREATE INDEX study_holds_job ON study_holds (job_ref);
    INSERT INTO study_holds (study_ref, job_ref) SELECT id, pending_job FROM studies WHERE pending_job IS NOT NULL;

    UPDATE studies SET
      breast = CASE WHEN ' ' || modalities || ' ' LIKE '% MG %' THEN 1 ELSE 0 END,
      image_count = (SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_ref
        WHERE se.study_ref = studies.id AND i.is_image = 1 AND i.for_processing = 0),
      object_count = (SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_ref
        WHERE se.study_ref = studies.id AND NOT (i.is_image = 1 AND i.for_processing = 0));
  `);
}
