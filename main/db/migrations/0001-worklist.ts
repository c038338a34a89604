import type { Database } from 'better-sqlite3';

/** Patients, exams (studies), series, instances with their mammography attributes; import jobs and quarantine. */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE patients (
      id            INTEGER PRIMARY KEY,
      patient_id    TEXT NOT NULL,
      issuer        TEXT NOT NULL DEFAULT '',
      name          TEXT NOT NULL DEFAULT '',
      -- upper-cased name without DICOM separators, for case-insensitive prefix search and sorting
      name_search   TEXT NOT NULL DEFAULT '',
      birth_date    TEXT,
      sex           TEXT,
      UNIQUE (patient_id, issuer)
    );
    CREATE INDEX patients_name_search ON patients (name_search);

    CREATE TABLE import_jobs (
      id            INTEGER PRIMARY KEY,
      started_at    TEXT NOT NULL,
      finished_at   TEXT,
      status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed', 'interrupted')),
      pid           INTEGER NOT NULL,
      files_seen    INTEGER NOT NULL DEFAULT 0,
      imported      INTEGER NOT NULL DEFAULT 0,
      duplicates    INTEGER NOT NULL DEFAULT 0,
      rejected      INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE studies (
      id              INTEGER PRIMARY KEY,
      patient_ref     INTEGER NOT NULL REFERENCES patients (id),
      study_uid       TEXT NOT NULL UNIQUE,
      study_date      TEXT,
      study_time      TEXT,
      accession       TEXT,
      description     TEXT,
      modalities      TEXT NOT NULL DEFAULT '',
      status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'read')),
      image_count     INTEGER NOT NULL DEFAULT 0,
      -- space-separated ACR labels of the FOR PRESENTATION images, kept in step by the importer
      views           TEXT NOT NULL DEFAULT '',
      imported_at     TEXT NOT NULL,
      -- while an import job that touched this exam has not finished, the exam is hidden from the
      -- worklist: a process killed mid-import never shows a half-imported exam
      pending_job     INTEGER REFERENCES import_jobs (id)
    );
    CREATE INDEX studies_patient ON studies (patient_ref, study_date);
    -- pending_job is the last column of the worklist's indexes so that they cover the visibility test
    CREATE INDEX studies_date ON studies (study_date, study_time, pending_job);
    CREATE INDEX studies_status_date ON studies (status, study_date, pending_job);
    CREATE INDEX studies_visible ON studies (pending_job, study_date);
    CREATE INDEX studies_imported ON studies (imported_at);
    CREATE INDEX studies_image_count ON studies (image_count);
    CREATE INDEX studies_accession ON studies (accession);

    CREATE TABLE series (
      id            INTEGER PRIMARY KEY,
      study_ref     INTEGER NOT NULL REFERENCES studies (id),
      series_uid    TEXT NOT NULL UNIQUE,
      modality      TEXT,
      series_number INTEGER,
      description   TEXT
    );
    CREATE INDEX series_study ON series (study_ref);

    CREATE TABLE instances (
      id                      INTEGER PRIMARY KEY,
      series_ref              INTEGER NOT NULL REFERENCES series (id),
      sop_uid                 TEXT NOT NULL UNIQUE,
      sop_class_uid           TEXT NOT NULL,
      instance_number         INTEGER,
      file_hash               TEXT NOT NULL,
      file_size               INTEGER NOT NULL,
      transfer_syntax         TEXT NOT NULL,
      rows                    INTEGER,
      columns                 INTEGER,
      bits_allocated          INTEGER,
      bits_stored             INTEGER,
      photometric             TEXT,
      number_of_frames        INTEGER,
      image_laterality        TEXT,
      view_code               TEXT,      -- JSON CodedConcept
      view_modifier_codes     TEXT NOT NULL DEFAULT '[]',  -- JSON CodedConcept[]
      view_position           TEXT,
      view_label              TEXT,
      presentation_intent     TEXT,
      for_processing          INTEGER NOT NULL DEFAULT 0,
      is_image                INTEGER NOT NULL DEFAULT 1,
      pixel_spacing           TEXT,      -- "row\\col" in mm
      imager_pixel_spacing    TEXT,
      magnification_factor    REAL,
      patient_orientation     TEXT,
      window_centers          TEXT NOT NULL DEFAULT '[]',
      window_widths           TEXT NOT NULL DEFAULT '[]',
      window_explanations     TEXT NOT NULL DEFAULT '[]',
      voi_lut_function        TEXT,
      breast_implant_present  INTEGER,
      partial_view            INTEGER,
      import_job              INTEGER REFERENCES import_jobs (id)
    );
    CREATE INDEX instances_series ON instances (series_ref);
    CREATE INDEX instances_hash ON instances (file_hash);

    CREATE TABLE quarantine (
      id        INTEGER PRIMARY KEY,
      job_ref   INTEGER REFERENCES import_jobs (id),
      file      TEXT NOT NULL,
      reason    TEXT NOT NULL,
      at        TEXT NOT NULL
    );
  `);
}
