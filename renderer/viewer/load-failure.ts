// Why an image could not be shown, in the reader's words. The libraries' own messages ("no pixel
// data in NATURALIZED…", "Request more than currently allocated buffer", "Huffman table format
// error") mean nothing to a radiologist: each is sorted into what it says about the file, and the
// library's text follows only as a technical detail for whoever supports the station.

import type { InstanceDetail } from '../../common/domain.ts';
import type { MessageKey, MessageParams } from '../../common/i18n/messages.ts';

type Translate = (key: MessageKey, params?: MessageParams) => string;

/**
 * Why an image could not be shown, said in whichever language the reader chooses: an image that
 * failed before she switched language said so in the old one until the exam was opened again.
 * `text`: in the language of the moment, as the viewport's data-error attribute keeps it (support, tests).
 */
export interface FailureExplained { text: string; say: (t: Translate) => string }

/** Library messages that mean the file's structure could not be read (the file is damaged). */
const UNREADABLE = [/no pixel data/i, /allocated buffer/i, /past end of (input|buffer)/i, /invalid (tag|vr|length)/i, /dicomParser/i, /not a dicom/i, /dicm/i];
/** Library messages from a decoder: the structure was read, the compressed pixels were not. */
const UNDECODABLE = [/huffman/i, /jpeg/i, /j2k|jpeg ?2000|htj2k|openjph|openjpeg/i, /charls|jpeg-?ls/i, /rle/i, /decod/i, /codec/i, /marker/i];

/**
 * The HTTP status of a failed image request, wherever the loader put it: the XMLHttpRequest itself
 * (what the DICOM image loader rejects with), or wrapped as `request` or `error`. 0: no answer at
 * all (the station stopped, or cannot be reached). null: not a request's failure.
 */
function requestStatus(failure: unknown): number | null {
  const e = failure as { request?: unknown; error?: unknown } | null | undefined;
  for (const candidate of [failure, e?.request, e?.error]) {
    const request = candidate as { status?: unknown; readyState?: unknown } | null | undefined;
    if (request && typeof request === 'object' && typeof request.status === 'number' && (candidate === e?.request || typeof request.readyState === 'number')) return request.status;
  }
  return null;
}

export function explainLoadFailure(failure: unknown, instance: InstanceDetail, t: Translate): string {
  const e = failure as { message?: string; error?: { message?: string } | string; request?: { status?: number } } | undefined;
  const status = requestStatus(failure);
  // the station gone (killed, stopped): said as such, not blamed on the image, whose file is likely fine
  if (status === 0) return t('exam.stationUnreachable');
  if (status) return t('exam.imageHttpError', { status });
  const raw = String(e?.message ?? (typeof e?.error === 'string' ? e.error : e?.error?.message) ?? (typeof failure === 'string' ? failure : ''));
  const size = raw.match(/^decoded-size:(\d+)x(\d+)$/);
  // a decoder that gave no pixels at all failed to decode (a damaged header): said as such, not "0 × 0 pixels"
  if (size && (size[1] === '0' || size[2] === '0')) return t('exam.decodeFailed');
  if (size) return t('exam.decodedWrongSize', { actual: `${size[1]} × ${size[2]}`, expected: `${instance.columns} × ${instance.rows}` });
  if (raw === 'load-timeout') return t('exam.loadTimedOut');
  if (raw === 'draw-timeout') return t('exam.drawFailed', { photometric: instance.photometricInterpretation ?? '—' });
  if (/failed to fetch|networkerror|net::err_/i.test(raw)) return t('exam.stationUnreachable');
  const reason = UNREADABLE.some((r) => r.test(raw)) ? t('exam.fileUnreadable') : UNDECODABLE.some((r) => r.test(raw)) || !raw ? t('exam.decodeFailed') : t('exam.cannotRead');
  // the library's words, shortened, as a detail for support (they carry no patient data: messages and offsets)
  const detail = raw.replace(/wadouri:\S+/g, '').replace(/\s+/g, ' ').trim().slice(0, 160);
  return detail ? `${reason} ${t('exam.technicalDetail', { detail })}` : reason;
}
