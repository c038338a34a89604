// The AI second reader's operations: an exam's analysis state, its findings, and what the model is
// (so that every place that shows its marks can say it was trained on synthetic images, and its
// limits). The analysis itself runs in main/ai/analysis.ts, started by the station when models exist.
import type { ApiHandlers } from '../../common/api.ts';
import type { AiResults } from '../../common/domain.ts';
import type { StationContext } from './context.ts';
import type { AiAnalysis } from '../ai/analysis.ts';

export type AiHandlers = Pick<ApiHandlers, 'aiResults'>;

export function aiHandlers(ctx: StationContext, analysis: () => AiAnalysis | null): AiHandlers {
  return {
    aiResults: async ({ examId }): Promise<AiResults> => {
      const state = ctx.db.ai.examState(examId);
      const found = analysis()?.availableModels.find((m) => state ? m.manifest.id === state.model.id && m.manifest.version === state.model.version : true);
      const manifest = found?.manifest;
      const operatingPoint = manifest?.calibration.operatingPoints.find((p) => p.name === manifest.calibration.defaultOperatingPoint);
      const findings = state?.status === 'done' ? ctx.db.ai.findings(examId).filter((f) => !operatingPoint || f.score >= operatingPoint.threshold) : [];
      return {
        state: state && {
          status: state.status, examScore: state.examScore, breastScores: state.breastScores, provider: state.provider, failure: state.failure, finishedAt: state.finishedAt,
        },
        model: manifest ? {
          id: manifest.id, name: manifest.name, version: manifest.version, trainedOn: manifest.training.data, notForDiagnosticUse: manifest.intendedUse.notForDiagnosticUse,
          limits: manifest.intendedUse.limits, scoreSemantics: manifest.output.scoreScale.semantics,
          operatingPoint: { name: operatingPoint!.name, threshold: operatingPoint!.threshold },
        } : null,
        findings,
      };
    },
  };
}
