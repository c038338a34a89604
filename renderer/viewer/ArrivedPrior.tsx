// A prior of the woman that arrives while her exam is open: fetched from the PACS, sent by a modality,
// imported at the command line or in another window. It is not hung in by itself (the steps would
// change under the reader's eyes): it is offered in one line, with its date, said to be older than
// the prior shown where it is (shown, it replaces that comparison: the reader's choice, knowingly).
import { useEffect, useState } from 'react';
import type { ExamSummary } from '../../common/domain.ts';
import { choosePriors } from '../../common/hanging/engine.ts';
import { formatDicomDate } from '../../common/i18n/messages.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';

export function ArrivedPriorOffer({ examId, knownPriorIds, shownPriorDate, onShow }: {
  examId: number;
  /** The exam's priors when it was loaded: shown, or in the prior choice already. */
  knownPriorIds: readonly number[];
  /** The study date (DICOM DA) of the prior the steps show, if any. */
  shownPriorDate: string | null;
  onShow(priorExamId: number): void;
}) {
  const api = useApi();
  const { t, locale } = useI18n();
  const [arrived, setArrived] = useState<ExamSummary | null>(null);
  const known = knownPriorIds.join(',');
  useEffect(() => {
    let cancelled = false;
    setArrived(null);
    const knownIds = new Set(known ? known.split(',').map(Number) : []);
    const look = async () => {
      try {
        // asked again, not opened again: the audit log recorded the opening
        const detail = await api.examDetail({ examId, purpose: 'refresh' });
        // the one the hanging would choose first among those that came (the comparable priors only)
        const firstNew = choosePriors(detail.exam, detail.priors).find((id) => !knownIds.has(id));
        if (!cancelled) setArrived(detail.priors.find((p) => p.examId === firstNew) ?? null);
      } catch { /* the station busy or the exam gone: the next import looks again */ }
    };
    // once now as well: a prior stored between the exam's loading and this line's listening
    void look();
    const off = api.on('worklistChanged', ({ reason }) => { if (reason === 'import') void look(); });
    return () => { cancelled = true; off(); };
  }, [api, examId, known]);
  if (!arrived) return null;
  // DICOM dates (YYYYMMDD) compare as strings; an unknown date is not called older
  const older = Boolean(shownPriorDate && arrived.studyDate && arrived.studyDate < shownPriorDate);
  return (
    <span className="muted small" data-testid="prior-arrived" data-older={older ? 'true' : undefined}>
      {t(older ? 'viewer.priorArrivedOlder' : 'viewer.priorArrived', { date: formatDicomDate(locale, arrived.studyDate),
        shown: shownPriorDate ? formatDicomDate(locale, shownPriorDate) : '' })}{' '}
      <button type="button" onClick={(e) => { e.currentTarget.blur(); onShow(arrived.examId); }} data-testid="prior-arrived-show"
        title={older ? t('viewer.priorArrivedOlderHint', { shown: formatDicomDate(locale, shownPriorDate!) }) : undefined}>{t('pacs.priors.show')}</button>
    </span>
  );
}
