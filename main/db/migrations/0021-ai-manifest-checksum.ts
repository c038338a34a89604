import type { Database } from 'better-sqlite3';

/**
 * ai_jobs.manifest_sha256: the SHA-256 of the model's manifest.json as the analysis was made with it,
 * beside model_sha256 (its model.onnx). A manifest edited in place (its classes reordered, the way
 * its breast faces, its pixel size), the same file, id and version, kept every earlier analysis
 * after the station started again: masses shown as calcifications, marks mirrored (a probe). At
 * start, an analysis made with another manifest is made again, as one made with another file was.
 * NULL for analyses made before this migration: taken as made with the manifest found at the first
 * start after it (analysing a whole library again at an upgrade would hide its triage for hours).
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE ai_jobs ADD COLUMN manifest_sha256 TEXT;');
}
