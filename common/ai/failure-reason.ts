// Why an AI analysis failed, in the reader's (or the terminal's) words, from the failure's code and
// its stored detail: the worklist, the viewer, the AI models panel and `binome models` say it alike.
import type { MessageKey, MessageParams } from '../i18n/messages.ts';

type Translate = (key: MessageKey, params?: MessageParams) => string;

const KNOWN_FAILURES = ['model_unavailable', 'model_changed', 'model_refused', 'exam_gone', 'no_images', 'images_too_coarse', 'timeout', 'worker_crashed', 'image_unreadable', 'image_missing', 'image_no_spacing', 'input_too_large', 'image_no_breast', 'image_breast_cut', 'model_output_invalid', 'model_run_failed', 'result_damaged'] as const;

/** Whether a failure's code is one said in words (failureReason): its stored detail, English, adds nothing a reader needs beside them. */
export function isKnownFailure(code: string | null | undefined): boolean {
  return KNOWN_FAILURES.some((c) => c === code);
}

/** The failures that are the model's own fault, told with its words (for whoever supplied it). */
export const MODEL_FAULTS: readonly string[] = ['model_output_invalid', 'model_run_failed'];

/**
 * Why an analysis failed, from its code (the stored detail is English and technical: the log's, not
 * the reader's), with the view of the image it failed on where the detail names one ("RMLO: …"), or
 * as `view` gives it (the worklist's row: ExamSummary.ai.failureView).
 */
export function failureReason(t: Translate, code: string | null | undefined, detail?: string | null, view?: string): string {
  const known = KNOWN_FAILURES.find((c) => c === code);
  if (!known) return t('ai.failure.other', { code: code ?? '?' });
  const prefix = /^([RL][A-Z]{2,10}): /.exec(detail ?? '');
  const named = view ?? prefix?.[1];
  // a model's fault is told to whoever supplied it: what was wrong, in the check's own (English) words
  // ("class 1 is not one of the manifest's 1 classes"; "8 failed" and "a fault of the model" told them nothing: a probe)
  const said = MODEL_FAULTS.includes(known) && detail ? detail.slice(prefix?.[0].length ?? 0) : '';
  return t(`ai.failure.${known}`, { view: named ? ` (${named})` : '' }) + (said ? ` ${t('ai.failure.modelSaid', { said })}` : '');
}
