// The AI second reader's operations: an exam's analysis state, its findings, and what the model is
// (so that every place that shows its marks can say it was trained on synthetic images, and its
// limits); the reader's first impression, which unlocks the marks in second look; cancelling an
// exam's analysis and queueing it again; the models (running, refused and why, replaced) and the
// choice of the one exams show. The analysis itself runs in main/ai/analysis.ts, started by the
// station when models exist.
import type { ApiHandlers } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import path from 'node:path';
import type { AiModelsStatus, AiNotAnalysed, AiResults } from '../../common/domain.ts';
import { modelClasses, showableText } from '../../common/ai/model-manifest.ts';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import { AI_CHOSEN_MODEL_SETTING } from '../db/records.ts';
import { LOCAL_READER } from './context.ts';
import type { StationContext } from './context.ts';
import { viewerSettings } from './settings.ts';
import { whyNotRead } from '../ai/analysis.ts';
import type { AiAnalysis, ModelHold } from '../ai/analysis.ts';
import { compareVersions } from '../ai/model-discovery.ts';
import { cadSrSeriesUid } from './cad-reports.ts';
import { partsNotRead } from '../../common/ai/not-read.ts';
import { fixedInputField } from '../../common/ai/model-field.ts';
import { MODEL_MEMORY_MIN_MB, modelMemorySetting } from '../ai/model-check-limits.ts';

/** A BINOME_AI_MODEL_MEMORY_MB the station cannot take, for the command line to say (it logs errors only): what was set, the limit used instead, the least taken. */
export function ignoredModelMemorySetting(): { value: string; mb: number; minMb: number } | null {
  const setting = modelMemorySetting();
  return setting.ignored === undefined ? null : { value: setting.ignored, mb: Math.round(setting.bytes / 1024 / 1024), minMb: MODEL_MEMORY_MIN_MB };
}

/**
 * Why the model's analyses wait, for the models list: this process's hold, else a running station's
 * (a command listing the models holds none itself), else an overrun the library records.
 */
function heldOf(ctx: StationContext, ai: AiAnalysis, manifest: ModelManifest): { held?: ModelHold } {
  const held = ai.heldFor(manifest) ?? ai.heldByRunningStation(manifest) ?? (ctx.db.ai.lastOverrun(manifest) ? 'overran' : null);
  return held === null ? {} : { held };
}

/** A newer version of the model that analysed the library (this one installed back over it), for the models list. */
function newerAnalysed(ai: AiAnalysis, manifest: ModelManifest, done: number): { newerAnalysed?: string; olderAnalysed?: { version: string; exams: number } } {
  const newer = ai.newerVersionAnalysed(manifest);
  if (newer !== null) return { newerAnalysed: newer };
  const older = ai.olderVersionAnalysed(manifest, done);
  return older === null ? {} : { olderAnalysed: older };
}

export type AiHandlers = Pick<ApiHandlers, 'aiResults' | 'setFirstImpression' | 'noteAiShown' | 'noteAiScoresShown' | 'cancelAiAnalysis' | 'queueAiAnalysis' | 'aiModels' | 'chooseAiModel'>;

/** The audit log's action for the AI's output of an exam shown to the reader before her first impression (noteAiShown). */
export const AI_SHOWN_ACTION = 'ai:shown-before-first-impression';

const examNotFound = (examId: number) => new ApiError('not_found', `No exam ${examId}`, 'error.examNotFound');

/** A queued analysis held (AiAnalysis.heldFor): held, and why where its model's folder changed. */
export function heldState(why: ModelHold | null): { held?: true; heldFor?: 'changed' } {
  return why === null ? {} : why === 'changed' ? { held: true, heldFor: 'changed' } : { held: true };
}

/** `srDiskFull`: the analyses' CAD SRs wait for room on the library's disk (CadReportService.diskFull). */
export function aiHandlers(ctx: StationContext, analysis: () => AiAnalysis | null, srDiskFull: () => boolean = () => false): AiHandlers {
  const sameModelSeries = (examId: number, model: { id: string; version: string }) => {
    const studyUid = ctx.db.worklist.examSummary(examId)?.studyInstanceUid;
    return studyUid ? cadSrSeriesUid(studyUid, model) : null;
  };
  const results = (examId: number): AiResults => {
    const state = ctx.db.ai.examState(examId);
    const models = analysis()?.availableModels ?? [];
    // the model of the analysis the exam shows; before any, the model exams show
    const found = state ? models.find((m) => m.manifest.id === state.model.id && m.manifest.version === state.model.version) : analysis()?.shownModel;
    const manifest = found?.manifest;
    // its models still being found (the station's first second or two): none is "not installed" yet, nor
    // its SR taken for its findings; the pages are told once they are found (AiAnalysis.start). Said "not
    // installed on this station", the shipped model's hint stayed so, unflagged, until a reload (a probe)
    const modelsKnown = analysis()?.ready !== false;
    // the reader's operating point where the model has one of that name, else its default
    const points = manifest?.calibration.operatingPoints ?? [];
    const chosenPoint = viewerSettings(ctx).aiOperatingPoint;
    const operatingPoint = points.find((p) => p.name === chosenPoint) ?? points.find((p) => p.name === manifest?.calibration.defaultOperatingPoint);
    const examPoint = manifest?.calibration.examOperatingPoint;
    // every finding of the analysis (those under the operating point too), read once; with no model
    // installed here to say its operating point, none: its own SR stands in for them (cadReports below).
    // They were sent unfiltered, faint ones too: nothing drew them, but a normal first impression was
    // asked about "the AI's marks" on nearly every exam
    const stored = state?.status === 'done' && manifest ? ctx.db.ai.findings(examId) : [];
    const findings = stored.filter((f) => f.score >= operatingPoint!.threshold);
    // of an exam analysed, or failed for its images' pixels: why each image the model does not read was not analysed
    const detail = state?.status === 'done' || (manifest && state?.failure?.code === 'images_too_coarse') ? ctx.db.worklist.examDetail(examId) : null;
    const instances = (detail?.series ?? []).flatMap((s) => s.instances);
    // an image with findings was read, whatever the manifest says now (an analysis made before a rule was added)
    const marked = new Set(stored.map((f) => f.instanceId));
    // an image the analysis could not read is said as such (its code), before what the manifest says of it
    const unread = new Map((state?.unreadImages ?? []).map((u) => [u.instanceId, u.code]));
    const notAnalysed = !manifest ? [] : instances.filter((i) => i.isImage && !marked.has(i.instanceId)).flatMap((i): AiNotAnalysed[] => {
      const failure = unread.get(i.instanceId);
      if (failure) return [{ instanceId: i.instanceId, reason: 'unreadable', failure }];
      const reason = whyNotRead(i, manifest);
      return reason ? [{ instanceId: i.instanceId, reason }] : [];
    });
    // the breasts imaged: the mammography images the worklist's row looks at (the same rule there: records.ts)
    const lateralities = instances.filter((i) => i.isImage && !i.forProcessing && i.viewLabel !== null).map((i) => i.imageLaterality);
    // each breast's score, where it is a finding's: that finding's view, marked at the reader's point or not
    const breastSources: NonNullable<NonNullable<AiResults['state']>['breastSources']> = {};
    if (state?.status === 'done' && operatingPoint) {
      const byId = new Map(instances.map((i) => [i.instanceId, i]));
      for (const side of ['R', 'L'] as const) {
        const score = state.breastScores[side];
        if (score === undefined) continue;
        const best = stored.find((f) => byId.get(f.instanceId)?.imageLaterality === side); // (stored best first)
        const view = best ? byId.get(best.instanceId)?.viewLabel : null;
        if (best && view && Math.abs(best.score - score) < 1e-9) breastSources[side] = { view, marked: best.score >= operatingPoint.threshold };
      }
    }
    return {
      state: state && {
        status: state.status, examScore: state.examScore, breastScores: state.breastScores, ...(Object.keys(breastSources).length ? { breastSources } : {}), provider: state.provider, failure: state.failure, finishedAt: state.finishedAt, paused: state.paused,
        ...heldState(state.status === 'queued' ? analysis()?.heldFor(state.model) ?? null : null),
        notRead: state.status === 'done' ? partsNotRead(lateralities, state.breastScores) : [],
        unreadImages: state.unreadImages.map(({ view, code }) => ({ view, code })),
        ...(state.resultsVersion ? { resultsVersion: state.resultsVersion } : {}),
      },
      model: manifest ? {
        id: manifest.id, name: manifest.name, version: manifest.version, trainedOn: manifest.training.data, notForDiagnosticUse: manifest.intendedUse.notForDiagnosticUse,
        limits: manifest.intendedUse.limits,
        implantCaveat: manifest.intendedUse.implants?.use === 'caveat' ? manifest.intendedUse.implants.note ?? null : null,
        ...(manifest.intendedUse.implants?.use === 'caveat' && manifest.intendedUse.implants.translations ? { implantCaveatTranslations: manifest.intendedUse.implants.translations } : {}),
        scoreScale: { ...manifest.output.scoreScale, prevalence: manifest.output.scoreScale.prevalence ?? null },
        operatingPoint: { name: operatingPoint!.name, threshold: operatingPoint!.threshold },
        operatingPoints: points.map((p) => ({ name: p.name, threshold: p.threshold, sensitivity: p.sensitivity ?? null, specificity: p.specificity ?? null, falseMarksPerImage: p.falseMarksPerImage ?? null, dataset: p.dataset, ...(p.datasetTranslations ? { datasetTranslations: p.datasetTranslations } : {}) })),
        defaultOperatingPoint: manifest.calibration.defaultOperatingPoint,
        examOperatingPoint: examPoint ? { threshold: examPoint.threshold, specificity: examPoint.specificity, sensitivity: examPoint.sensitivity, dataset: examPoint.dataset,
          ...(examPoint.datasetTranslations ? { datasetTranslations: examPoint.datasetTranslations } : {}) } : null,
        classes: modelClasses(manifest),
      } : null,
      findings,
      notAnalysed,
      // the station's own SR of the analysis shown stands in for its findings when the model that made
      // it is no longer installed (that one SR: not those of every version that ever analysed the exam,
      // nor an earlier run's, nor another station's of the same analysis beside it);
      // another station's SR of the very model whose findings show here (a study shared through a PACS)
      // would draw every mark twice: its marks are these findings
      // (known by its series, one per model version and exam at every station: a vendor's CAD that
      // happens to give the same name and version is still shown)
      cadReports: ctx.db.cadReports.reportsOf(examId, {
        ownSr: !manifest && modelsKnown && state?.status === 'done' ? state.srUid : null,
        notInSeries: state?.status === 'done' && (manifest || state.srUid) ? sameModelSeries(examId, state.model) : null,
      }),
      firstImpression: ctx.db.firstImpressions.get(examId, LOCAL_READER),
      shownBeforeFirstImpression: ctx.db.audit.has(LOCAL_READER, AI_SHOWN_ACTION, examId),
      ...(state && !manifest && modelsKnown ? { modelNotHere: { id: state.model.id, version: state.model.version } } : {}),
    };
  };
  const libraryModels = path.join(ctx.paths.root, 'models');
  // (the library's models folder itself, refused as unreadable, is the library's too: it read "in the application")
  // a fixed input at a fixed pixel size: the breast it reads at most, said from the start (not once exams failed)
  const fieldOf = (manifest: ModelManifest) => {
    const field = fixedInputField(manifest.input);
    return field ? { field } : {};
  };
  const sourceOf = (folder: string) => (path.dirname(folder) === libraryModels || folder === libraryModels ? 'library' as const : 'application' as const);
  const models = (): AiModelsStatus => {
    const ai = analysis();
    const chosen = ctx.db.settings.get(AI_CHOSEN_MODEL_SETTING) || null;
    if (!ai) return { state: 'off', models: [], refused: [], replaced: [], chosen, libraryModelsFolder: null };
    const shown = ai.shownModel;
    return {
      state: ai.ready ? 'ready' : 'starting',
      models: ai.availableModels.map((m) => {
        const analyses = ctx.db.ai.countsOf(m.manifest);
        return {
          id: m.manifest.id, name: m.manifest.name, version: m.manifest.version, source: sourceOf(m.folder), folder: path.basename(m.folder),
          provider: m.provider, ...(m.fallbacks?.length ? { fallbacks: m.fallbacks.map((f) => ({ provider: f.provider, reason: showableText(f.reason) })) } : {}), trainedOn: m.manifest.training.data, notForDiagnosticUse: m.manifest.intendedUse.notForDiagnosticUse,
          shown: m === shown, analyses, failures: ctx.db.ai.failuresOf(m.manifest),
          ...newerAnalysed(ai, m.manifest, analyses.done),
          ...heldOf(ctx, ai, m.manifest),
          ...fieldOf(m.manifest),
        };
      }),
      refused: ai.refused.map((r) => ({ source: sourceOf(r.folder), folder: path.basename(r.folder), problem: r.problem })),
      replaced: ai.replaced.map((r) => ({
        source: sourceOf(r.folder), folder: path.basename(r.folder), id: r.id, version: r.version, by: path.basename(r.by), byVersion: r.byVersion, byOlder: compareVersions(r.byVersion, r.version) < 0,
      })),
      chosen,
      libraryModelsFolder: libraryModels,
      ...(ai.checking.length ? { checking: ai.checking.map((folder) => ({ source: sourceOf(folder), folder: path.basename(folder) })) } : {}),
      ...(ai.libraryFull || srDiskFull() ? { libraryFull: true as const } : {}),
    };
  };
  // the AI's output of an exam shown to her is noted once, and only before her first impression
  // (after it, the marks are meant to be seen); the callers leave out read exams: no first impression can
  // follow, and their marks unlocked by the read itself were logged as shown "before her first impression",
  // which hid in the list that it was read without one (a probe)
  const notNotedYet = (examId: number) => !ctx.db.firstImpressions.get(examId, LOCAL_READER) && !ctx.db.audit.has(LOCAL_READER, AI_SHOWN_ACTION, examId);
  const noteShown = (examId: number) => ctx.db.audit.record(LOCAL_READER, AI_SHOWN_ACTION, examId);
  const existingExam = (examId: number) => {
    const exam = ctx.db.worklist.examSummary(examId);
    if (!exam) throw examNotFound(examId);
    return exam;
  };
  return {
    // an exam that is not in the library is not found, as for every other operation on an exam (it
    // answered "no analysis" with the shown model's details)
    aiResults: async ({ examId }) => { existingExam(examId); return results(examId); },
    setFirstImpression: async ({ examId, impression }) => {
      ctx.assertOpen();
      const exam = existingExam(examId);
      // none after the exam is read (a stray click on the strip's "Normal" of a read exam, opened again in
      // concurrent mode with its 0.99 marks on screen, recorded an impression ten minutes after the read: a
      // probe); the one recorded before it is still answered as it is
      if (exam.status === 'read' && !ctx.db.firstImpressions.get(examId, LOCAL_READER)) {
        throw new ApiError('bad_request', `Exam ${examId} is read: no first impression is recorded after the read`, 'error.firstImpressionExamRead');
      }
      // the marks (or the score) shown before it, in concurrent mode, and her mode switched to second look
      // since: made with the marks, not unaided (recorded as second look, it claimed an unaided read)
      const setting = viewerSettings(ctx).aiMarksMode;
      // so is an exam read before and opened again: read, its score and marks showed (a probe marked one read,
      // opened it again and recorded "normal", filed as an unaided second-look read after its 0.75 showed)
      const mode = setting === 'second-look' && (ctx.db.audit.has(LOCAL_READER, AI_SHOWN_ACTION, examId) || ctx.db.audit.everRead(examId)) ? 'concurrent' : setting;
      const { recorded, isNew } = ctx.db.firstImpressions.record(examId, LOCAL_READER, impression, mode,
        () => ctx.db.audit.record(LOCAL_READER, `first-impression:${impression}:${mode}`, examId));
      // the worklist shows the exam's score from now on (second look held it back)
      if (isNew) ctx.events.emit('aiChanged', { examId });
      // her first impression is her reading begun: a 'new' exam is 'in progress' from now on (it stayed
      // 'new' in the worklist after it, a probe)
      if (isNew && ctx.db.worklist.startReading(examId, (id) => ctx.db.audit.record(LOCAL_READER, 'status:in_progress', id))) {
        ctx.events.emit('worklistChanged', { reason: 'status', examId });
      }
      // the same answer again is no change; another one would rewrite her unaided read after the marks showed
      if (recorded.impression !== impression) {
        throw new ApiError('bad_request', `A first impression (${recorded.impression}) is already recorded for exam ${examId}`, 'error.firstImpressionRecorded');
      }
      return results(examId);
    },
    noteAiShown: async ({ examId }) => {
      ctx.assertOpen();
      if (existingExam(examId).status !== 'read' && notNotedYet(examId)) noteShown(examId);
      return results(examId);
    },
    noteAiScoresShown: async ({ examIds }) => {
      ctx.assertOpen();
      // the worklist withholds the scores in second look until her impression: none was shown
      if (viewerSettings(ctx).aiMarksMode !== 'concurrent') return { noted: 0 };
      let noted = 0;
      ctx.db.connection.transaction(() => {
        for (const examId of new Set(examIds)) {
          // the exam's row read last, and only for those not noted yet (most, on a page read again):
          // the score it shows (none: no analysis, or an exam no longer in the library), not on a read exam
          if (!notNotedYet(examId)) continue;
          const exam = ctx.db.worklist.examSummary(examId);
          if (!exam || exam.status === 'read' || (exam.ai?.score ?? null) === null) continue;
          noteShown(examId);
          noted++;
        }
      })();
      return { noted };
    },
    cancelAiAnalysis: async ({ examId }) => {
      ctx.assertOpen();
      existingExam(examId);
      const ai = analysis();
      const cancelled = ai ? ai.cancel(examId) : ctx.db.ai.cancel(examId);
      if (cancelled) {
        ctx.db.audit.record(LOCAL_READER, 'ai:cancel', examId);
        ctx.events.emit('aiChanged', { examId });
      }
      return results(examId);
    },
    aiModels: async () => models(),
    chooseAiModel: async ({ modelId }) => {
      ctx.assertOpen();
      const ai = analysis();
      if (!ai) throw new ApiError('unavailable', 'The AI second reader is not running at this station', 'error.aiNotRunning');
      if (!ai.ready) throw new ApiError('busy', 'The AI models are still being checked; try again in a moment', 'error.aiStarting');
      const before = ai.shownModel;
      if (!ai.choose(modelId)) throw new ApiError('bad_request', `No model ${modelId} runs at this station (one put in a models folder since it started runs once it is started again)`, 'error.aiModelUnknown', { model: modelId ?? '' });
      // model ids are not patient data: the audit says which model exams show from now on
      ctx.db.audit.record(LOCAL_READER, `ai:show-model:${modelId ?? 'default'}`, null);
      // every exam's score and marks may change: the worklist and open exams read them again
      if (ai.shownModel !== before) ctx.events.emit('aiChanged', { examId: null });
      return models();
    },
    queueAiAnalysis: async ({ examId }) => {
      ctx.assertOpen();
      existingExam(examId);
      const ai = analysis();
      if (!ai?.availableModels.length) throw new ApiError('unavailable', 'No AI model is installed at this station', 'error.aiNoModel');
      // an exam every model has analysed already is left as it is, and nothing is audited
      if (ai.requeue(examId)) {
        ctx.db.audit.record(LOCAL_READER, 'ai:queue', examId);
        ctx.events.emit('aiChanged', { examId });
      }
      return results(examId);
    },
  };
}
