import type { Database } from 'better-sqlite3';

/**
 * instances.breast_box: the breast's bounding box in the stored image's pixels, "c0,r0,c1,r1"
 * (columns [c0, c1), rows [r0, r1)), found beside the display rendition on the import threads; ''
 * when it was looked for and there is no clear breast (or the image could not be read), NULL while
 * not looked for yet. The viewer fits the breast to its place rather than the detector, whose air
 * took half of a single view's height. A library made before it gets its boxes in the background,
 * as its renditions were made (main/import/renditions.ts).
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE instances ADD COLUMN breast_box TEXT;
    -- the images still to prepare for display (imports.imagesToPrepareForDisplay), asked at every
    -- import and every exam opened: without it, a walk of every instance of the library
    CREATE INDEX instances_to_prepare ON instances (file_hash)
      WHERE is_image = 1 AND for_processing = 0 AND (display_rendition IS NULL OR breast_box IS NULL);
  `);
}
