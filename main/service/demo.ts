// Synthetic demo exams: generated into the library's demo/ folder and imported; the folder keeps
// only their ground truth once the store has the images. The command line's `binome demo` writes
// them anywhere through the same function.
import fs from 'node:fs';
import path from 'node:path';
import type { ApiHandlers } from '../../common/api.ts';
import type { ImportSummary } from '../../common/domain.ts';
import { addImportSummaries } from '../../common/import-summary.ts';
import { generateDemo } from '../synth/demo.ts';
import type { DemoProgress, DemoSummary } from '../synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS, TRANSFER_SYNTAXES } from '../synth/plan.ts';
import type { DemoOptions, TransferSyntaxName } from '../synth/plan.ts';
import { log } from '../base/log.ts';
import type { StationContext } from './context.ts';

export { DEFAULT_DEMO_OPTIONS, TRANSFER_SYNTAXES };
export type { DemoOptions, DemoSummary, TransferSyntaxName };

/** Writes a demo set (DICOM files and ground truth) into a folder. */
export function writeDemoExams(options: DemoOptions, outDir: string, onProgress?: (p: DemoProgress) => void): Promise<DemoSummary> {
  return generateDemo(options, outDir, { onProgress });
}

/**
 * A demo woman's earlier exams were read in their time: marked read, not new, once imported (as
 * priors in a real library, they came with her history). Left new, they stood in the reading list
 * among today's exams, and the AI's triage ranked a 2023 prior third (a radiologist's probe).
 * Recorded in the audit as the demo's doing, not a reader's. An exam already read or in progress,
 * or not imported, is left as it is.
 */
export function markDemoPriorsRead(ctx: Pick<StationContext, 'db'>, studyUids: readonly string[]): number {
  let marked = 0;
  for (const uid of studyUids) {
    const examId = ctx.db.imports.studyKey(uid);
    if (examId === null) continue;
    if (ctx.db.worklist.examSummary(examId)?.status !== 'new') continue;
    if (ctx.db.worklist.setExamStatus(examId, 'read', (id) => ctx.db.audit.record('demo', 'status:read', id))) marked++;
  }
  return marked;
}

export type DemoHandlers = Pick<ApiHandlers, 'loadDemoExams'>;

export function demoHandlers(ctx: StationContext): DemoHandlers {
  return {
    loadDemoExams: async ({ patients, priors, size, seed }) => {
      ctx.assertOpen();
      const o = { ...DEFAULT_DEMO_OPTIONS, patients, priors, size, seed: seed ?? `demo-${Date.now().toString(36)}` };
      return ctx.track((async () => {
        const parts: ImportSummary[] = [];
        let imported = 0;
        // each exam is imported as soon as its images are made: the worklist fills while the rest is generated
        const demo = await generateDemo(o, path.join(ctx.paths.root, 'demo', o.seed), {
          onProgress: (p) => ctx.events.emit('importProgress',
            { jobId: 0, phase: 'generating', filesTotal: p.imagesTotal, filesDone: p.imagesDone, imported, duplicates: 0, rejected: 0, skipped: 0, bytes: 0 }),
          onExam: async ({ dicomFiles, studyInstanceUid, isPrior }) => {
            const summary = await ctx.importer.importPaths(dicomFiles, ctx.backgroundImportOptions());
            parts.push(summary);
            imported += summary.imported;
            if (isPrior) markDemoPriorsRead(ctx, [studyInstanceUid]);
            // the store holds the images now; the demo folder keeps only the ground truth
            if (summary.status === 'done') await Promise.all(dicomFiles.map((f) => fs.promises.rm(f, { force: true })));
            ctx.events.emit('worklistChanged', { reason: 'import' });
          },
        });
        log.info(`demo: ${demo.images} images in ${demo.exams} exams generated and imported in ${demo.seconds.toFixed(1)} s`);
        return addImportSummaries(parts);
      })());
    },
  };
}
