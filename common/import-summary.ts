// An import done in parts (uploads in chunks, paths in chunks, demo exams one by one) is reported as one.
import type { ImportSummary } from './domain.ts';

const COUNTS = ['filesSeen', 'imported', 'duplicates', 'rejected', 'skipped', 'ignored', 'bytes', 'seconds', 'examsTouched', 'incompleteExams'] as const;

export function addImportSummaries(parts: readonly ImportSummary[]): ImportSummary {
  const total: ImportSummary = { jobId: 0, status: 'done', filesSeen: 0, imported: 0, duplicates: 0, rejected: 0, skipped: 0, ignored: 0, bytes: 0,
    seconds: 0, examsTouched: 0, incompleteExams: 0, duplicateFiles: [], skippedFiles: [], problems: [] };
  for (const p of parts) {
    total.jobId = p.jobId;
    if (p.status !== 'done') total.status = p.status;
    for (const k of COUNTS) total[k] += p[k];
    total.duplicateFiles.push(...p.duplicateFiles);
    total.skippedFiles.push(...p.skippedFiles);
    total.problems.push(...p.problems);
  }
  return total;
}
