// An import's summary: added up when the import was done in parts (uploads in chunks, paths in
// chunks, demo exams one by one), and said in words, the same on the page and on the command line.
import type { ImportSummary, Locale } from './domain.ts';
import { describeProblem } from './import-problems.ts';
import { translate, translateCount } from './i18n/messages.ts';

const COUNTS = ['filesSeen', 'imported', 'importedImages', 'importedForProcessing', 'importedOther', 'duplicates', 'rejected', 'skipped', 'ignored',
  'missing', 'notFiles', 'repaired', 'differing', 'bytes', 'seconds', 'examsTouched', 'incompleteExams'] as const;

export function addImportSummaries(parts: readonly ImportSummary[]): ImportSummary {
  const total: ImportSummary = { jobId: 0, status: 'done', filesSeen: 0, imported: 0, importedImages: 0, importedForProcessing: 0, importedOther: 0,
    duplicates: 0, rejected: 0, skipped: 0, ignored: 0, missing: 0, notFiles: 0, repaired: 0, differing: 0, bytes: 0, seconds: 0, examsTouched: 0, incompleteExams: 0,
    duplicateFiles: [], differingFiles: [], skippedFiles: [], problems: [], missingFiles: [], notFileEntries: [] };
  for (const p of parts) {
    total.jobId = p.jobId;
    if (p.status !== 'done') total.status = p.status;
    for (const k of COUNTS) total[k] += p[k];
    total.duplicateFiles.push(...p.duplicateFiles);
    total.differingFiles.push(...p.differingFiles);
    total.skippedFiles.push(...p.skippedFiles);
    total.problems.push(...p.problems);
    total.missingFiles.push(...p.missingFiles);
    total.notFileEntries.push(...p.notFileEntries);
    if (p.stoppedBy) total.stoppedBy = p.stoppedBy;
  }
  return total;
}

/** An import's summary in sentences. */
export interface ImportSummaryText {
  /** What was imported, by kind: images for reading, FOR PROCESSING images, other objects. */
  headline: string;
  /** How the import ended when it did not finish; null when it did. */
  ending: string | null;
  /** The other counts, one sentence each: duplicates (those with other content apart), files quarantined, not DICOM, missing from a DICOMDIR's media, not files, DICOMDIRs read. */
  details: string[];
  /** A few of the duplicates with other content, of the missing files and of the entries not opened, one sentence each (the files quarantined are `problems`, said by describeProblem). */
  examples: string[];
}

/**
 * Says what an import did: what it imported, by kind (a folder of 4 images, 2 FOR PROCESSING
 * images and 2 dose reports imported 8 files, not 8 images), then what it skipped or refused and
 * why. `maxExamples`: how many missing files and entries not opened are named.
 */
export function describeImportSummary(locale: Locale, s: ImportSummary, maxExamples = 3): ImportSummaryText {
  const parts = ([['import.count.images', s.importedImages], ['import.count.forProcessing', s.importedForProcessing], ['import.count.other', s.importedOther]] as const)
    .filter(([, n]) => n > 0).map(([key, n]) => translateCount(locale, key, n));
  const headline = !parts.length ? translate(locale, 'import.summary.nothing')
    : parts.length === 1 ? translate(locale, 'import.summary.importedOneKind', { parts: parts[0]! })
      : translate(locale, 'import.summary.imported', { count: s.imported, parts: parts.join(', ') });
  // what stopped it on the library's side (its disk full) is the import's ending, not a file's reason
  const ending = s.status === 'done' ? null : s.status === 'cancelled' ? translate(locale, 'import.summary.cancelled')
    : s.stoppedBy ? translate(locale, 'import.summary.failedBecause', { reason: describeProblem(locale, s.stoppedBy) }) : translate(locale, 'import.summary.failed');
  const details = ([['import.summary.duplicates', s.duplicates], ['import.summary.differing', s.differing], ['import.summary.repaired', s.repaired], ['import.summary.rejected', s.rejected], ['import.summary.skipped', s.skipped],
    ['import.summary.missing', s.missing], ['import.summary.notFiles', s.notFiles], ['import.summary.dicomdirs', s.ignored]] as const)
    .filter(([, n]) => n > 0).map(([key, n]) => translateCount(locale, key, n));
  const examples: string[] = [];
  const name = (list: readonly string[], total: number, say: (file: string, i: number) => string) => {
    list.slice(0, maxExamples).forEach((file, i) => examples.push(say(file, i)));
    if (total > maxExamples) examples.push(translate(locale, 'import.summary.more', { count: total - Math.min(maxExamples, list.length) }));
  };
  name(s.differingFiles, s.differing, (file) => translate(locale, 'import.summary.differingExample', { file }));
  name(s.missingFiles, s.missing, (file) => translate(locale, 'import.summary.missingExample', { file }));
  name(s.notFileEntries.map((e) => e.file), s.notFiles,
    (file, i) => translate(locale, 'import.summary.notFileExample', { file, reason: describeProblem(locale, s.notFileEntries[i]!) }));
  return { headline, ending, details, examples };
}
