// Import operations: paths the user named, uploads (a browser), the quarantine list, imports that
// did not finish and their completion.
import type { ApiHandlers } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import type { ImportSummary } from '../../common/domain.ts';
import { isJobRunning } from '../import/importer.ts';
import { log } from '../base/log.ts';
import type { StationContext } from './context.ts';

export type ImportHandlers = Pick<ApiHandlers, 'importPaths' | 'beginUpload' | 'finishUpload' | 'cancelUpload' | 'quarantineList' |
  'unfinishedImports' | 'resumeImport' | 'pickImportPaths'>;

function logSummary(summary: ImportSummary): void {
  log.info(`import job ${summary.jobId} ${summary.status}: ${summary.imported} imported, ${summary.duplicates} duplicates, ` +
    `${summary.rejected} rejected, ${summary.skipped} skipped in ${summary.seconds.toFixed(2)} s`);
}

export function importHandlers(ctx: StationContext): ImportHandlers {
  // a PACS is named as the clinic named it (its id is the panel's own), or by its id once removed
  const unfinishedJobs = () => {
    const names = new Map(ctx.db.pacs.nodes().map((n) => [n.id, n.name]));
    return ctx.db.imports.unfinishedJobs().map((j) => (j.fetchedFrom ? { ...j, fetchedFrom: names.get(j.fetchedFrom) ?? j.fetchedFrom } : j));
  };
  const importPaths: ImportHandlers['importPaths'] = async ({ paths }) => {
    ctx.assertOpen();
    const summary = await ctx.track(ctx.importer.importPaths(paths, ctx.importOptions()));
    logSummary(summary);
    ctx.events.emit('worklistChanged', { reason: 'import' });
    return summary;
  };
  return {
    importPaths,
    beginUpload: async () => {
      ctx.assertOpen();
      return { uploadId: ctx.uploads.begin() };
    },
    finishUpload: async ({ uploadId }) => {
      ctx.assertOpen();
      const { files, done } = ctx.uploads.take(uploadId);
      try {
        const summary = await ctx.track(ctx.importer.importStaged(files, ctx.importOptions()));
        logSummary(summary);
        ctx.events.emit('worklistChanged', { reason: 'import' });
        return summary;
      } finally {
        await done();
      }
    },
    cancelUpload: async ({ uploadId }) => {
      await ctx.uploads.cancel(uploadId);
      return {};
    },
    quarantineList: async ({ limit }) => ctx.db.imports.quarantineList(limit),
    unfinishedImports: async () => {
      // an import run by another process may have died since; marking it is a write, and the list
      // is still worth showing when the library cannot be written (a full disk, another writer)
      try { ctx.db.imports.markInterruptedJobs(isJobRunning); } catch { /* marked next time */ }
      return unfinishedJobs();
    },
    resumeImport: async ({ jobId }) => {
      ctx.assertOpen();
      const job = unfinishedJobs().find((j) => j.jobId === jobId);
      if (!job) throw new ApiError('not_found', `No unfinished import ${jobId}`, 'error.importNotFound');
      if (!job.paths && job.fetchedFrom) {
        throw new ApiError('bad_request', `Those images were fetched from the PACS ${job.fetchedFrom}: they are fetched again the next time one of her exams is opened`, 'error.resumeFetched', { node: job.fetchedFrom });
      }
      if (!job.paths && job.receivedFrom) {
        throw new ApiError('bad_request', `Those images came from ${job.receivedFrom} over DICOM: send them again from there`, 'error.resumeReceived', { ae: job.receivedFrom });
      }
      if (!job.paths) throw new ApiError('bad_request', 'That import was of dropped files: drop them again to complete it', 'error.resumeUpload');
      return importPaths({ paths: job.paths });
    },
    pickImportPaths: async () => {
      throw new ApiError('unavailable', 'No file dialog here: enter a path, or drop files on the worklist', 'error.noFileDialog');
    },
  };
}
