// Import: files, folders (recursively) and DICOMDIRs into the store and the worklist.
// Per file: parse the header (the file's beginning only), skip duplicates by SOP Instance UID, copy
// into the content-addressed store. Per batch:
// one database transaction. Exams touched by a job stay hidden until the job ends, so a process
// killed mid-import never shows half an exam, and running the same import again completes it.

import fs from 'node:fs';
import path from 'node:path';
import type { ImportProblem, ImportProgress, ImportSummary } from '../../common/domain.ts';
import { DicomStore, StoreCollisionError } from '../dicom/store.ts';
import { DicomParseError, parseDicom } from '../dicom/parse.ts';
import { parseFileHeader } from '../dicom/read-header.ts';
import type { ParsedDicom } from '../dicom/parse.ts';
import type { StoredInstanceRecord, WorklistDatabase } from '../db/db.ts';

export interface ImportOptions {
  /** Files per database transaction. */
  batchSize?: number;
  /** Files read, parsed and stored at once. */
  concurrency?: number;
  /** fsync each stored file before its batch commits (survives power loss, not only a killed process). */
  durable?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
}

/** Something to import: a path on disk, or bytes received without a path (a browser upload). */
type Source = { kind: 'file'; path: string; label: string } | { kind: 'bytes'; data: Uint8Array; label: string };

const MAX_PROBLEMS_LISTED = 1000;

function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'file not found';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder';
    case 'ENOSPC': return 'no space left on the library disk';
    case 'EMFILE': case 'ENFILE': return 'too many open files';
    default: return code ? `read error (${code})` : String((error as Error)?.message ?? error);
  }
}

class DiskFullError extends Error {}

/** Lists the files under a folder, recursively, in a stable order; symbolic links are not followed. */
async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

/** Resolves a Referenced File ID against the DICOMDIR's folder, tolerating case differences (media written on Windows). */
function resolveReferencedFile(baseDir: string, components: string[]): string | null {
  let current = baseDir;
  for (const component of components) {
    const exact = path.join(current, component);
    if (fs.existsSync(exact)) { current = exact; continue; }
    let match: string | undefined;
    try {
      match = fs.readdirSync(current).find((n) => n.toUpperCase() === component.toUpperCase());
    } catch { return null; }
    if (!match) return null;
    current = path.join(current, match);
  }
  return current;
}

export class Importer {
  constructor(private readonly db: WorklistDatabase, private readonly store: DicomStore) {}

  async importPaths(paths: readonly string[], options: ImportOptions = {}): Promise<ImportSummary> {
    const problems: ImportProblem[] = [];
    const sources: Source[] = [];
    let ignored = 0;
    for (const given of paths) {
      const absolute = path.resolve(given);
      const stat = await fs.promises.stat(absolute).catch((error: unknown) => error as NodeJS.ErrnoException);
      if (stat instanceof Error) { problems.push({ file: given, reason: describeIoError(stat) }); continue; }
      if (stat.isDirectory()) {
        const files: string[] = [];
        try { await walk(absolute, files); } catch (error) { problems.push({ file: given, reason: describeIoError(error) }); }
        sources.push(...files.map((f) => ({ kind: 'file' as const, path: f, label: f })));
      } else if (path.basename(absolute).toUpperCase() === 'DICOMDIR') {
        const resolved = await this.expandDicomDir(absolute, problems);
        if (resolved) { ignored++; sources.push(...resolved.map((f) => ({ kind: 'file' as const, path: f, label: f }))); }
      } else {
        sources.push({ kind: 'file', path: absolute, label: given });
      }
    }
    return this.run(sources, problems, ignored, options, paths.map((p) => path.resolve(p)));
  }

  async importBytes(files: readonly { name: string; data: Uint8Array }[], options: ImportOptions = {}): Promise<ImportSummary> {
    return this.run(files.map((f) => ({ kind: 'bytes' as const, data: f.data, label: f.name })), [], 0, options, null);
  }

  private async expandDicomDir(file: string, problems: ImportProblem[]): Promise<string[] | null> {
    let parsed;
    try {
      parsed = await parseFileHeader(file);
    } catch (error) {
      problems.push({ file, reason: error instanceof DicomParseError ? error.message : describeIoError(error) });
      return null;
    }
    if (parsed.kind !== 'dicomdir') return [file]; // a file merely named DICOMDIR: import it as it is
    const base = path.dirname(file);
    const found: string[] = [];
    for (const components of parsed.referencedFiles) {
      const resolved = resolveReferencedFile(base, components);
      if (resolved) found.push(resolved);
      else problems.push({ file: path.join(base, ...components), reason: 'referenced by the DICOMDIR but not found on the media' });
    }
    return found;
  }

  private async run(sources: Source[], initialProblems: ImportProblem[], initialIgnored: number, options: ImportOptions, given: readonly string[] | null): Promise<ImportSummary> {
    const started = performance.now();
    const batchSize = options.batchSize ?? 200;
    const concurrency = options.concurrency ?? 4;
    const durable = options.durable ?? false;
    const jobId = this.db.beginImportJob(process.pid, given);
    const problems = [...initialProblems];
    const duplicateFiles: string[] = [];
    const counts = { filesSeen: 0, imported: 0, duplicates: 0, rejected: problems.length };
    let ignored = initialIgnored;
    let bytes = 0;
    let batch: StoredInstanceRecord[] = [];
    let adopt = new Set<number>();
    const touched = new Set<number>();
    const inFlight = new Set<string>();
    let lastProgress = 0;

    const reject = (file: string, reason: string) => {
      counts.rejected++;
      if (problems.length < MAX_PROBLEMS_LISTED) problems.push({ file, reason });
      this.db.recordQuarantine(jobId, file, reason);
    };
    const progress = (phase: ImportProgress['phase'], force = false) => {
      const t = performance.now();
      if (!options.onProgress || (!force && t - lastProgress < 100)) return;
      lastProgress = t;
      options.onProgress({ jobId, phase, filesTotal: sources.length, filesDone: counts.filesSeen, imported: counts.imported, duplicates: counts.duplicates, rejected: counts.rejected, bytes });
    };
    const commit = () => {
      if (!batch.length && !adopt.size) return;
      for (const s of this.db.commitBatch(jobId, batch, [...adopt], counts)) touched.add(s);
      batch = [];
      adopt = new Set();
    };
    for (const p of initialProblems) this.db.recordQuarantine(jobId, p.file, p.reason);

    const handle = async (source: Source): Promise<void> => {
      let parsed: ParsedDicom;
      try {
        parsed = source.kind === 'file' ? await parseFileHeader(source.path) : parseDicom(source.data);
      } catch (error) {
        reject(source.label, error instanceof DicomParseError ? error.message
          : (error as NodeJS.ErrnoException)?.code ? describeIoError(error) : `unreadable: ${String((error as Error)?.message ?? error)}`);
        return;
      }
      if (parsed.kind === 'dicomdir') { ignored++; return; }
      const uid = parsed.sopInstanceUid;
      const existing = this.db.findInstance(uid);
      if (existing || inFlight.has(uid) || batch.some((r) => r.parsed.sopInstanceUid === uid)) {
        counts.duplicates++;
        if (duplicateFiles.length < MAX_PROBLEMS_LISTED) duplicateFiles.push(source.label);
        // An exam left hidden by an interrupted job is taken over, so that this job completes it.
        if (existing && existing.pendingJob !== null && existing.pendingJob !== jobId) adopt.add(existing.studyKey);
        return;
      }
      inFlight.add(uid);
      try {
        const stored = source.kind === 'file'
          ? await this.store.putFile(source.path, { durable })
          : await this.store.putBytes(source.data, { durable });
        batch.push({ parsed, fileHash: stored.key, fileSize: stored.size });
        counts.imported++;
        bytes += stored.size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException)?.code === 'ENOSPC') throw new DiskFullError(describeIoError(error));
        reject(source.label, error instanceof StoreCollisionError ? error.message : `could not be stored: ${describeIoError(error)}`);
      } finally {
        inFlight.delete(uid);
      }
    };

    let status: ImportSummary['status'] = 'done';
    try {
      let next = 0;
      const worker = async () => {
        while (next < sources.length) {
          if (options.signal?.aborted) { status = 'cancelled'; return; }
          const source = sources[next++]!;
          await handle(source);
          counts.filesSeen++;
          if (batch.length >= batchSize) commit();
          progress('importing');
        }
      };
      progress('importing', true);
      await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, sources.length)) }, worker));
      progress('finishing', true);
      commit();
    } catch (error) {
      status = 'failed';
      problems.push({ file: '(library)', reason: error instanceof DiskFullError ? error.message : `import failed: ${String((error as Error)?.message ?? error)}` });
      batch = []; // not committed: its exams stay as they were
    }
    this.db.finishImportJob(jobId, status, counts);
    progress('done', true);
    return {
      jobId, status,
      filesSeen: counts.filesSeen, imported: counts.imported, duplicates: counts.duplicates, rejected: counts.rejected, ignored,
      bytes, seconds: (performance.now() - started) / 1000, examsTouched: touched.size, duplicateFiles, problems,
    };
  }
}
