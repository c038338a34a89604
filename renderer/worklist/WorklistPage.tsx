import { useCallback, useEffect, useRef, useState } from 'react';
import { modelCaveat } from '../../common/ai/model-caveat.ts';
import type { WorklistPage as Page } from '../../common/api.ts';
import { WORKLIST_SCOPES, WORKLIST_SORT_FIELDS } from '../../common/api.ts';
import type { AiResults, ExamStatus, ImportProgress, ImportSummary, UnfinishedImport } from '../../common/domain.ts';
import { EXAM_STATUSES } from '../../common/domain.ts';
import { ageOn, formatDicomDate, formatPercent, formatPersonName, formatPersonNames, formatScore, formatScoreAgainst, formatThreshold, operatingPointName, scoreScaleText, translateCount } from '../../common/i18n/messages.ts';
import { describeImportSummary } from '../../common/import-summary.ts';
import { useApi } from '../api/context.ts';
import { useI18n } from '../i18n.tsx';
import { readDrop } from '../api/drop.ts';
import { openedExam, rememberedWorklist, rememberWorklist } from './reading-list.ts';
import type { ReadingQuery } from './reading-list.ts';
import { heldOrder } from './held-order.ts';
import { forgetMarksChoice } from '../ai/marks-choice.ts';
import { failureReason, heldKey, notForModel, notReadText } from '../ai/ai-state.ts';
import { imagingModalities } from './modalities.ts';

/**
 * The demo the empty worklist offers: full-size exams (0.07 and 0.1 mm pixels), those the shipped
 * model reads (a reduced copy's 0.28 or 0.4 mm pixels it does not), of six women with a prior each: one of
 * each of the generator's variants (additional views, implant, a second detector...). About a minute
 * to make and 800 MB.
 */
const DEMO_EXAMS = { patients: 6, priors: 1, size: 'full' } as const;

type SortField = (typeof WORKLIST_SORT_FIELDS)[number];
type Scope = (typeof WORKLIST_SCOPES)[number];
const PAGE_SIZE = 50;
/** How often the list is read again for what other processes of the library changed (their events do not reach this page). */
const OTHER_PROCESSES_EVERY_MS = 20_000;
/** Changes said by the station (statuses, imports, analyses) read the list again at most this often. */
const CHANGES_COALESCE_MS = 250;

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

export function WorklistPage() {
  const api = useApi();
  const { t, locale, errorText, problem } = useI18n();
  const [page, setPage] = useState<Page | null>(null);
  // back from the viewer: the list as she left it (sorted by the AI score for triage, say), at the
  // page of the exam she read last
  const [remembered] = useState(rememberedWorklist);
  const [text, setText] = useState(remembered?.query.filter?.text ?? '');
  const [status, setStatus] = useState<ExamStatus | ''>(remembered?.query.filter?.status?.[0] ?? '');
  const [scope, setScope] = useState<Scope>(remembered?.query.filter?.scope ?? 'breast');
  const [otherScopeCount, setOtherScopeCount] = useState(0);
  const [sort, setSort] = useState<{ field: SortField; direction: 'asc' | 'desc' }>(remembered?.query.sort ?? { field: 'studyDate', direction: 'desc' });
  const [offset, setOffset] = useState(remembered?.offset ?? 0);
  // another page starts at its top: after Next at the bottom of a long list, the next page showed its
  // last rows, its header and first rows scrolled out of sight (a probe)
  const shownOffset = useRef(offset);
  useEffect(() => {
    if (shownOffset.current === offset) return;
    shownOffset.current = offset;
    window.scrollTo(0, 0);
  }, [offset]);
  // the keyboard: the rows are stepped through with the arrow keys (Home, End; past a page's edge, the
  // next or previous page), Enter opens one; back from the viewer, the exam read last has the focus
  const rowsBody = useRef<HTMLTableSectionElement>(null);
  const focusOnArrival = useRef<'opened' | 'first' | 'last' | null>('opened');
  const focusRow = (index: number | 'last') => {
    const rows = rowsBody.current?.querySelectorAll<HTMLTableRowElement>('tr[data-testid=exam-row]');
    if (!rows?.length) return;
    rows[index === 'last' ? rows.length - 1 : Math.min(index, rows.length - 1)]!.focus();
  };
  const openExam = (examId: number) => { location.hash = `#/exam/${examId}`; };
  // two errors, each cleared only by its own success: a worklist refresh after a failed import must not hide the failure
  const [listError, setListError] = useState<string | null>(null);
  const [importError, setImportError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number; generating?: boolean } | null>(null);
  const [result, setResult] = useState<ImportSummary | null>(null);
  const [dragging, setDragging] = useState(false);
  const [importPath, setImportPath] = useState('');
  const [refresh, setRefresh] = useState(0);
  /** Bumped when another model is shown (aiChanged for every exam): the note names the model again. */
  const [shownModelChanges, setShownModelChanges] = useState(0);
  const [unfinished, setUnfinished] = useState<UnfinishedImport[]>([]);
  const [aiModel, setAiModel] = useState<AiResults['model']>(null);
  const [aiModelNotHere, setAiModelNotHere] = useState<AiResults['modelNotHere'] | null>(null);
  /** The reader's AI marks mode is second look: the note says why scores wait, on a page showing none waiting too. */
  const [secondLook, setSecondLook] = useState(false);
  // back from the viewer: the AI marks she hid there show again on the next exam (marks-choice.ts)
  useEffect(() => forgetMarksChoice(), []);

  // the rows stay in place while the pointer is on them (held-order.ts): the page shown, the query it
  // answers, and the fresh page waiting for the pointer to leave
  const pointerOnRows = useRef(false);
  const shownPage = useRef<{ page: Page; key: string } | null>(null);
  const waitingPage = useRef<{ page: Page; query: ReadingQuery; offset: number } | null>(null);
  /** The order held (null: not held), and the rows held in place that left the list meanwhile (their contents stale): shown as gone, not opened. */
  const [held, setHeld] = useState<ReadonlySet<number> | null>(null);
  const showPage = useCallback((p: Page, key: string, query: ReadingQuery, at: number, left: ReadonlySet<number> | null) => {
    shownPage.current = { page: p, key };
    setPage(p);
    setHeld(left);
    // the viewer's next/previous exam follow this order (rows gone from the list left out)
    rememberWorklist(query, left?.size ? p.rows.filter((r) => !left.has(r.examId)) : p.rows, at, p.total);
  }, []);
  const releaseOrder = () => {
    pointerOnRows.current = false;
    const waiting = waitingPage.current;
    waitingPage.current = null;
    if (waiting && shownPage.current) showPage(waiting.page, shownPage.current.key, waiting.query, waiting.offset, null);
  };

  // A refresh does not drop the answer still awaited for the same list: while changes kept coming (an
  // import, a modality sending) every refresh dropped the one before, and where an answer took longer
  // than CHANGES_COALESCE_MS none was ever shown until the changes stopped (a review). An answer is
  // shown where it answers the list asked for now (the same search, sort and page) and is the newest.
  const listAsked = useRef({ key: '', last: 0, shown: 0 });
  // (gone, the page shows nothing more: an answer kept the viewer's next and previous exam in its order)
  const onScreen = useRef(true);
  useEffect(() => { onScreen.current = true; return () => { onScreen.current = false; }; }, []);
  useEffect(() => {
    let cancelled = false;
    const query = { filter: { text: text || undefined, status: status ? [status] : undefined, scope }, sort };
    const key = JSON.stringify([query, offset]);
    const asked = listAsked.current;
    if (asked.key !== key) asked.shown = 0; // another list: nothing of the one before is shown now
    asked.key = key;
    const order = ++asked.last;
    api.worklistQuery({ ...query, offset, limit: PAGE_SIZE })
      .then((p) => {
        if (!onScreen.current || asked.key !== key || order < asked.shown) return;
        asked.shown = order;
        if (p.rows.length === 0 && offset > 0) { setOffset(0); return; } // a page remembered past the list's end (exams deleted since)
        // a refresh of the list on screen, the pointer on its rows: they stay where they are; another
        // search, sort or page is the reader's own doing and shows at once
        const shown = shownPage.current;
        const held = pointerOnRows.current && shown?.key === key ? heldOrder(shown.page, p) : null;
        waitingPage.current = held ? { page: p, query, offset } : null;
        showPage(held?.page ?? p, key, query, offset, held?.left ?? null);
        setListError(null);
      })
      .catch((e: unknown) => { if (onScreen.current && asked.key === key && order === asked.last) setListError(errorText(e)); });
    api.getSettings({}).then((settings) => { if (!cancelled) setSecondLook(settings.viewer.aiMarksMode === 'second-look'); }).catch(() => undefined);
    // an empty breast worklist says when other exams exist (a CT imported by mistake, say)
    if (scope === 'breast') api.worklistQuery({ filter: { scope: 'all' }, limit: 1 }).then((p) => { if (!cancelled) setOtherScopeCount(p.total); }).catch(() => undefined);
    return () => { cancelled = true; };
  }, [api, text, status, scope, sort, offset, refresh, errorText]);

  useEffect(() => {
    const wanted = focusOnArrival.current;
    if (!page || !wanted) return;
    focusOnArrival.current = null;
    if (wanted === 'first') focusRow(0);
    else if (wanted === 'last') focusRow('last');
    else {
      // only where nothing else has it: a click or a typed search while the list loads is not taken away
      const id = openedExam();
      const index = page.rows.findIndex((r) => r.examId === id);
      if (index >= 0 && (document.activeElement === document.body || document.activeElement === null)) focusRow(index);
    }
  }, [page]);

  useEffect(() => {
    // with nothing focused (the page just opened, a click on blank space), an arrow key starts on the list;
    // from a column's heading (a sort just asked for), down, Home and End go into the list, to its first or
    // last row (Home left a radiologist on the heading she had sorted by, a probe)
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      const onHeading = !!document.activeElement?.closest('table.exams > thead');
      const nothingFocused = document.activeElement === document.body || document.activeElement === null;
      if (!(nothingFocused && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) && !(onHeading && ['ArrowDown', 'Home', 'End'].includes(e.key))) return;
      const rows = [...(rowsBody.current?.querySelectorAll<HTMLTableRowElement>('tr[data-testid=exam-row]') ?? [])];
      if (!rows.length) return;
      e.preventDefault();
      if (onHeading) { (e.key === 'End' ? rows[rows.length - 1]! : rows[0]!).focus(); return; }
      const opened = rows.find((r) => Number(r.dataset.examId) === openedExam());
      (opened ?? (e.key === 'ArrowDown' ? rows[0]! : rows[rows.length - 1]!)).focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onRowKey = (e: React.KeyboardEvent<HTMLTableRowElement>, examId: number) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || !page) return;
    // its place among the rows that open (focusRow's), not in the page: a row gone from a held list is none
    const rows = [...(rowsBody.current?.querySelectorAll<HTMLTableRowElement>('tr[data-testid=exam-row]') ?? [])];
    const index = rows.indexOf(e.currentTarget);
    const last = rows.length - 1;
    switch (e.key) {
      case 'Enter': openExam(examId); break;
      case 'ArrowDown':
        if (index < last) focusRow(index + 1);
        else if (offset + PAGE_SIZE < page.total) { focusOnArrival.current = 'first'; setOffset(offset + PAGE_SIZE); }
        break;
      case 'ArrowUp':
        if (index > 0) focusRow(index - 1);
        else if (offset > 0) { focusOnArrival.current = 'last'; setOffset(Math.max(0, offset - PAGE_SIZE)); }
        break;
      case 'Home': focusRow(0); break;
      case 'End': focusRow('last'); break;
      default: return;
    }
    e.preventDefault();
  };

  useEffect(() => {
    // an older answer arriving after a newer one (an import ending meanwhile) must not bring its banner back
    let cancelled = false;
    api.unfinishedImports({}).then((jobs) => { if (!cancelled) setUnfinished(jobs); }).catch(() => { if (!cancelled) setUnfinished([]); });
    return () => { cancelled = true; };
  }, [api, refresh]);

  useEffect(() => {
    const offProgress = api.on('importProgress', (p: ImportProgress) => setProgress(p.phase === 'done' ? null : { done: p.filesDone, total: p.filesTotal, generating: p.phase === 'generating' }));
    // the list read again at once, then at most once every CHANGES_COALESCE_MS while changes keep coming:
    // a script's 3,000 status changes in 6 s asked for it 3,000 times (an IT probe)
    let readAt = 0;
    let later: ReturnType<typeof setTimeout> | null = null;
    const readAgain = () => {
      const wait = readAt + CHANGES_COALESCE_MS - Date.now();
      if (wait <= 0) { readAt = Date.now(); setRefresh((n) => n + 1); return; }
      later ??= setTimeout(() => { later = null; readAt = Date.now(); setRefresh((n) => n + 1); }, wait);
    };
    const offChanged = api.on('worklistChanged', readAgain);
    const offAi = api.on('aiChanged', ({ examId }) => {
      readAgain();
      if (examId === null) setShownModelChanges((n) => n + 1);
    });
    // another process (binome import, a second window) may have changed the library: its events do
    // not reach this page, so the list is read again whenever the reader comes back to it
    const onReturn = () => { if (document.visibilityState === 'visible') setRefresh((n) => n + 1); };
    // and now and then while she looks at it: a first impression or a status recorded at another
    // station on the library showed here only once the window was left and came back to (a probe)
    const every = setInterval(onReturn, OTHER_PROCESSES_EVERY_MS);
    window.addEventListener('focus', onReturn);
    document.addEventListener('visibilitychange', onReturn);
    return () => { offProgress(); offChanged(); offAi(); clearInterval(every); if (later) clearTimeout(later); window.removeEventListener('focus', onReturn); document.removeEventListener('visibilitychange', onReturn); };
  }, [api]);

  const onFileProgress = useCallback((done: number, total: number) => setProgress({ done, total }), []);
  const runImport = useCallback(async (task: () => Promise<ImportSummary | null>, generating = false) => {
    setResult(null);
    setImportError(null);
    setProgress({ done: 0, total: 0, generating });
    try {
      const summary = await task();
      if (summary) setResult(summary);
    } catch (e) {
      setImportError(t('import.failed', { message: errorText(e) }));
    } finally {
      setProgress(null);
      setRefresh((n) => n + 1);
    }
  }, [t, errorText]);

  // straight from the click: a browser opens its file chooser only during the user's gesture
  const onImportButton = (kind: 'folder' | 'files') => void runImport(() => api.chooseAndImport(kind, onFileProgress));

  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const drop = readDrop(e.dataTransfer); // read now: the DataTransfer empties once the event ends
    if (drop.topLevel.length) void runImport(() => api.importDrop(drop, onFileProgress));
  };

  const toggleSort = (field: SortField) => {
    setOffset(0);
    // a name or an ID starts from A, a status from the exams to read (new, being read, read), a date, a
    // count or a score from the highest (newest first, triage)
    const first = field === 'patientName' || field === 'patientId' || field === 'status' ? 'asc' : 'desc';
    setSort((s) => ({ field, direction: s.field === field ? (s.direction === 'asc' ? 'desc' : 'asc') : first }));
  };
  // the scores this page shows before her first impression (concurrent mode): an impression recorded
  // later is made with them, even if she switches to second look meanwhile (the station skips exams
  // noted already, or read); asked again on every refresh, as a score may have appeared
  const shownScores = page?.rows.filter((r) => r.ai && !r.ai.scoreWithheld && r.ai.score !== null).map((r) => r.examId).join(',') ?? '';
  useEffect(() => {
    if (!shownScores) return;
    api.noteAiScoresShown({ examIds: shownScores.split(',').map(Number) }).catch(() => undefined); // best effort: the viewer notes its own
  }, [api, shownScores]);
  // the AI column shows once an exam has been queued; its model says what it is, wherever its scores show
  const aiExam = page?.rows.find((r) => r.ai)?.examId ?? null;
  const showAi = aiExam !== null;
  useEffect(() => {
    if (aiExam === null) return;
    let cancelled = false;
    api.aiResults({ examId: aiExam }).then((r) => { if (!cancelled) { setAiModel(r.model); setAiModelNotHere(r.modelNotHere ?? null); } }).catch(() => undefined);
    return () => { cancelled = true; };
  }, [api, aiExam, shownModelChanges]);
  // until the model is known, said as for the shipped one (synthetic-trained)
  const caveat = aiModel ? modelCaveat(aiModel) : 'synthetic';
  // a score of 0.99 reads as a probability of 99 % unless the page says what it is (the viewer's AI strip said it; the worklist did not);
  // until the model is known, as the shipped one's
  const scale = `, ${scoreScaleText(locale, aiModel?.scoreScale ?? { semantics: 'uncalibrated', min: 0, max: 1, prevalence: null })}`;
  // where the model marks findings: a score of 0,53 on a normal exam and 0,52 on a new cluster said
  // nothing without it (a radiologist's probe); on the scale of the exam score, its best finding's
  // an exam is flagged at the model's exam operating point (set on normal exams' scores, contract
  // 1.3); a model without one flags at its marks' operating point (then most normal exams, which carry
  // a false mark or two, were flagged: a probe)
  const examPoint = aiModel?.examOperatingPoint ?? null;
  const flagThreshold = examPoint?.threshold ?? aiModel?.operatingPoint.threshold ?? null;
  // an exam score as the list writes it: with its scale's decimals, kept on its side of the flag
  const examScoreText = (score: number) => (flagThreshold !== null ? formatScoreAgainst(locale, score, flagThreshold, aiModel?.scoreScale) : formatScore(locale, score, aiModel?.scoreScale));
  const aboveHint = examPoint
    ? ` ${t('worklist.ai.aboveExamHint', { threshold: formatThreshold(locale, examPoint.threshold, aiModel?.scoreScale), specificity: formatPercent(locale, examPoint.specificity), sensitivity: formatPercent(locale, examPoint.sensitivity),
      dataset: examPoint.datasetTranslations?.[locale] ?? examPoint.dataset })} ${t(examPoint.threshold >= aiModel!.operatingPoint.threshold ? 'worklist.ai.marksBelowFlag' : 'worklist.ai.marksAboveFlag')}`
    : aiModel ? ` ${t('worklist.ai.aboveHint', { name: operatingPointName(locale, aiModel.operatingPoint.name), threshold: formatThreshold(locale, aiModel.operatingPoint.threshold, aiModel.scoreScale) })}` : '';
  // the scores of a model this station does not run (another station on the library shows it): its scale is not
  // known here, nor where it flags (its 87.5 of 100 read "uncalibrated, from 0 to 1", a probe)
  const notHereModel = !aiModel && aiModelNotHere ? `${aiModelNotHere.id} ${aiModelNotHere.version}` : null;
  const aiHint = notHereModel ? t('worklist.ai.hintNotHere', { notHere: t('ai.modelNotHere', { model: notHereModel }) })
    : `${t('worklist.ai.hint', { model: aiModel ? `${aiModel.name} ${aiModel.version}` : '—', scale, limits: caveat ? t(`worklist.ai.${caveat}`) : '' }).trim()}${aboveHint}`;

  const header = (field: SortField | null, label: string, title?: string) => (
    <th onClick={field ? () => toggleSort(field) : undefined} className={field ? 'sortable' : undefined} title={title}
      // reached with Tab and sorted with Enter or Space, like the rows below it
      tabIndex={field ? 0 : undefined} onKeyDown={field ? (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggleSort(field); } } : undefined}
      aria-sort={field && sort.field === field ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}>
      {label}{field && sort.field === field ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}
    </th>
  );

  return (
    <main className={`worklist ${dragging ? 'dragging' : ''}`} data-testid="worklist"
      onDragOver={(e) => { e.preventDefault(); setDragging(true); }} onDragLeave={() => setDragging(false)} onDrop={onDrop}>
      <div className="toolbar">
        <h1>{t('worklist.title')}</h1>
        <input className="search" type="search" placeholder={t('worklist.search')} value={text} data-testid="search" maxLength={128}
          onChange={(e) => { setText(e.target.value); setOffset(0); }}
          onKeyDown={(e) => { if (e.key === 'ArrowDown' && page?.rows.length) { e.preventDefault(); focusRow(0); } }} />
        <select value={status} onChange={(e) => { setStatus(e.target.value as ExamStatus | ''); setOffset(0); }} data-testid="status-filter">
          <option value="">{t('worklist.status.all')}</option>
          {EXAM_STATUSES.map((s) => <option key={s} value={s}>{t(`status.${s}`)}</option>)}
        </select>
        <select value={scope} onChange={(e) => { setScope(e.target.value as Scope); setOffset(0); }} data-testid="scope-filter" aria-label={t('worklist.column.modality')}>
          {WORKLIST_SCOPES.map((s) => <option key={s} value={s}>{t(`worklist.scope.${s}`)}</option>)}
        </select>
        <span className="import-buttons">
          <button type="button" className="primary" onClick={() => onImportButton('folder')} data-testid="import-button" disabled={progress !== null}>{t('import.button')}</button>
          <button type="button" onClick={() => onImportButton('files')} data-testid="import-files-button" disabled={progress !== null}>{t('import.files')}</button>
        </span>
      </div>
      {api.acceptsTypedPaths && (
        <form className="path-import" onSubmit={(e) => { e.preventDefault(); if (importPath.trim()) void runImport(() => api.importPaths({ paths: [importPath.trim()] })); }}>
          <input type="text" placeholder={t('import.pathPlaceholder')} value={importPath} onChange={(e) => setImportPath(e.target.value)} data-testid="import-path" />
          <button type="submit" data-testid="import-path-button">{t('import.pathButton')}</button>
        </form>
      )}
      {progress && (
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={progress.total} aria-valuenow={progress.done} data-testid="import-progress">
          <div className="bar" style={{ width: `${progress.total ? (100 * progress.done) / progress.total : 5}%` }} />
          <span>{t(progress.generating ? 'demo.generating' : 'import.progress', { done: progress.done, total: progress.total || '…' })}</span>
        </div>
      )}
      {result && (
        <div className={`notice${result.rejected || result.differing || result.status !== 'done' ? ' warning' : ''}`} data-testid="import-result">
          {(() => {
            const said = describeImportSummary(locale, result);
            return (
              <>
                {said.ending && <p data-testid="import-ending">{said.ending}</p>}
                <p data-testid="import-headline">{said.headline}</p>
                {said.details.map((line, i) => <p key={`d${i}`} className="muted" data-testid="import-detail">{line}</p>)}
                {said.examples.map((line, i) => <p key={`e${i}`} className="muted small">{line}</p>)}
              </>
            );
          })()}
          {result.skipped > 0 && <p className="muted" data-testid="import-skipped">{t('import.skippedExamples', { examples: result.skippedFiles.slice(0, 3).map(baseName).join(', ') + (result.skipped > 3 ? ', …' : '') })}</p>}
          {result.incompleteExams > 0 && <p data-testid="import-incomplete">{t('import.incomplete', { count: result.incompleteExams })}</p>}
          {result.problems.slice(0, 20).map((p, i) => <p key={i} className="problem">{t('import.rejected', { file: p.file, reason: problem(p) })}</p>)}
          {result.problems.length > 20 && <p className="muted">{t('import.moreProblems', { count: result.problems.length - 20 })}</p>}
          <button type="button" onClick={() => setResult(null)}>{t('import.dismiss')}</button>
        </div>
      )}
      {unfinished.map((job) => (
        <div className="notice warning" key={job.jobId} data-testid="unfinished-import">
          <p>{t('import.unfinished', { date: new Date(job.startedAt).toLocaleString(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' }), count: job.examsHeldBack })}</p>
          {job.patientNames.length > 0 && <p className="small" data-testid="unfinished-patients">{t('import.unfinishedPatients', { names: formatPersonNames(job.patientNames) })}</p>}
          {job.paths
            ? <button type="button" disabled={progress !== null} onClick={() => void runImport(() => api.resumeImport({ jobId: job.jobId }))}>{t('import.resume')}</button>
            : <p className="muted small">{job.fetchedFrom ? t('import.unfinishedFetched', { node: job.fetchedFrom }) : job.receivedFrom ? t('import.unfinishedReceived', { ae: job.receivedFrom }) : t('import.unfinishedUpload')}</p>}
        </div>
      ))}
      {importError && <div className="notice error" role="alert" data-testid="import-error">{importError}</div>}
      {listError && <div className="notice error" role="alert">{listError}</div>}
      {dragging && <div className="dropzone">{t('import.drop')}</div>}
      {!page ? <p className="muted">{t('worklist.loading')}</p> : page.total === 0 ? (
        <div className="empty" data-testid="worklist-empty">
          <p>{text || status ? t('worklist.noMatch') : progress ? t('worklist.importing') : scope === 'breast' && otherScopeCount > 0 ? t('worklist.otherScope', { count: otherScopeCount }) : t('worklist.empty')}</p>
          {!text && !status && !otherScopeCount && !progress && (
            <>
              <button type="button" onClick={() => void runImport(() => api.loadDemoExams(DEMO_EXAMS), true)} disabled={progress !== null} data-testid="load-demo">{t('demo.load')}</button>
              <p className="muted small">{t('demo.explain')}</p>
            </>
          )}
        </div>
      ) : (
        <>
          {/* above the list, not below it: a long list left it below the fold (1280 × 720, 20 exams) */}
          {/* the hint alone ("AI: the AI's score…" said AI twice); the order of held-back scores said only where the list is sorted by them */}
          {showAi && <p className="muted small" data-testid="ai-note">{aiHint}
            {(secondLook || page?.rows.some((r) => r.ai?.scoreWithheld)) && <> {t('worklist.ai.withheldHint')}{sort.field === 'aiScore' && <> {t('worklist.ai.withheldSorted')}</>}</>}</p>}
          <table className="exams">
            <thead>
              <tr>
                {header('patientName', t('worklist.column.patient'))}
                {header('patientId', t('worklist.column.patientId'))}
                {header('studyDate', t('worklist.column.examDate'))}
                {header(null, t('worklist.column.modality'))}
                {header(null, t('worklist.column.views'))}
                {header('imageCount', t('worklist.column.images'))}
                {showAi && header('aiScore', t('worklist.column.ai'), aiHint)}
                {header('status', t('worklist.column.status'))}
              </tr>
            </thead>
            <tbody ref={rowsBody} onPointerEnter={() => { pointerOnRows.current = true; }} onPointerLeave={releaseOrder}>
              {page.rows.map((exam) => held?.has(exam.examId) ? (
                // gone from the list while held in place (read at another station under a "new" filter,
                // deleted): what it said is stale, so it says only that, and opens nothing
                <tr key={exam.examId} data-testid="exam-row-left" data-exam-id={exam.examId} className="row-left" aria-disabled="true">
                  <td colSpan={showAi ? 8 : 7} className="muted">{formatPersonName(exam.patientName)} — {t('worklist.rowLeft')}</td>
                </tr>
              ) : (
                <tr key={exam.examId} data-testid="exam-row" data-exam-id={exam.examId} tabIndex={0}
                  onClick={() => openExam(exam.examId)} onKeyDown={(e) => onRowKey(e, exam.examId)}>
                  {/* her age beside her name on one line, the name cut where the row has no room for it (whole in its
                      tooltip): a long name pushed "67 ans" under it at 1280 px, one row in two lines (a radiologist's probe) */}
                  <td className="patient">
                    <span className="patient-name" data-testid="row-patient" title={formatPersonName(exam.patientName)}>{formatPersonName(exam.patientName)}</span>
                    <AgeNote birthDate={exam.patientBirthDate} on={exam.studyDate} />
                    {exam.sharedPatientId && <span className="badge warning" title={t('worklist.sharedId')} aria-label={t('worklist.sharedId')} data-testid="shared-id">ID ⚠</span>}
                  </td>
                  <td>{exam.patientId || '—'}</td>
                  <td>{formatDicomDate(locale, exam.studyDate)}</td>
                  <td data-testid="modalities" title={exam.modalities.join(' ')}>{imagingModalities(exam.modalities).join(' ') || '—'}</td>
                  <td className="views">{exam.views.length ? exam.views.map((v) => <span key={v} className="view-chip">{v}</span>) : '—'}</td>
                  <td className="num">
                    {exam.imageCount}
                    {exam.rejectedFiles > 0 && <span className="badge warning" title={t('worklist.incomplete', { count: exam.rejectedFiles })} aria-label={t('worklist.incomplete', { count: exam.rejectedFiles })} data-testid="incomplete">⚠ {exam.rejectedFiles}</span>}
                  </td>
                  {showAi && (
                    <td className="num ai-cell" data-testid="ai-score" data-status={exam.ai?.paused ? 'paused' : exam.ai?.held ? 'held' : exam.ai?.status} data-withheld={exam.ai?.scoreWithheld ? 'true' : undefined}
                      title={exam.ai?.held ? t(heldKey(exam.ai.heldFor)) : exam.ai?.status === 'failed' ? t(notForModel(exam.ai.failure) ? 'ai.state.notForModel' : 'ai.state.failed', { reason: failureReason(t, exam.ai.failure, null, exam.ai.failureView) }) : exam.ai?.status === 'done' && exam.ai.scoreWithheld ? `${t(exam.ai.withheldForLater ? 'worklist.ai.withheldForLaterHint' : 'worklist.ai.withheldHint')} ${aiHint}` : aiHint}>
                      {/* her first impression normal, the AI flagging the exam: the disagreement said in the list, not only in the viewer (two probes);
                          before the score, which stays aligned down the column */}
                      {(exam.ai?.status === 'done' || exam.ai?.scoreVersion !== undefined) && exam.ai?.firstImpressionNormal && exam.ai.score !== null && flagThreshold !== null && exam.ai.score >= flagThreshold &&
                        <span className="badge warning against-impression" data-testid="ai-against-impression" title={t('worklist.ai.againstNormalHint')}>{t('worklist.ai.againstNormal')}</span>}
                      {!exam.ai ? (exam.views.length > 0 ? <span className="muted" data-testid="ai-unqueued" title={t('worklist.ai.unqueuedHint')}>{t('worklist.ai.unqueued')}</span> : '')
                        : exam.ai.status === 'failed' && notForModel(exam.ai.failure) ? t('worklist.ai.notForModel')
                        : exam.ai.status !== 'done' ? <>{t(exam.ai.paused ? 'worklist.ai.paused' : exam.ai.held ? 'worklist.ai.held' : `worklist.ai.${exam.ai.status}`)}
                          {/* analysed again by the model's new version: its earlier version's score meanwhile, said as such */}
                          {exam.ai.scoreVersion !== undefined && exam.ai.score !== null && <span className="ai-previous-score muted" data-testid="ai-previous-score"
                            title={t('worklist.ai.previousScoreHint', { version: exam.ai.scoreVersion, score: formatScore(locale, exam.ai.score, aiModel?.scoreScale) })}>
                            {' '}{t('worklist.ai.previousScore', { version: exam.ai.scoreVersion, score: examScoreText(exam.ai.score) })}</span>}</>
                        : exam.ai.scoreWithheld ? <span className="ai-withheld muted">{t(exam.ai.withheldForLater ? 'worklist.ai.withheldForLater' : 'worklist.ai.withheld')}</span> : exam.ai.score === null ? '—'
                        : flagThreshold !== null && exam.ai.score >= flagThreshold
                          ? <span className="ai-score-above" data-testid="ai-score-above" aria-label={`${examScoreText(exam.ai.score)}, ${t(examPoint ? 'worklist.ai.aboveExam' : 'worklist.ai.above', { threshold: formatThreshold(locale, flagThreshold, aiModel?.scoreScale) })}`}>{examScoreText(exam.ai.score)}</span>
                          : examScoreText(exam.ai.score)}
                      {/* images the model does not read: said short (the whole reason, cut to "the images' pixels are coars…"
                          on every row of reduced exams, is in the cell's title) */}
                      {exam.ai?.status === 'failed' && <span className="ai-failure muted small" data-testid="ai-failure">{notForModel(exam.ai.failure) ? t('worklist.ai.tooCoarse') : failureReason(t, exam.ai.failure, null, exam.ai.failureView)}</span>}
                      {exam.ai?.status === 'done' && exam.ai.notRead.length > 0 &&
                        <span className="ai-failure muted small" data-testid="ai-not-read" title={`${notReadText(t, exam.ai.notRead)}. ${t('ai.notReadHint')}`}>{notReadText(t, exam.ai.notRead)}</span>}
                      {exam.ai?.status === 'done' && exam.ai.unreadViews &&
                        <span className="ai-failure muted small" data-testid="ai-unread-images" title={t('ai.unreadHint')}>{translateCount(locale, 'worklist.ai.unreadImages', exam.ai.unreadViews.length, { views: exam.ai.unreadViews.join(', ') })}</span>}
                    </td>
                  )}
                  <td><span className={`status status-${exam.status}`}>{t(`status.${exam.status}`)}</span>
                    {exam.ai?.readWithoutImpression && <span className="muted small read-without-impression" data-testid="read-without-impression" title={t('worklist.readWithoutImpressionHint')}>{t('worklist.readWithoutImpression')}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {held && <p className="order-held" role="status" data-testid="worklist-order-held">{t('worklist.orderHeld')}</p>}
          <div className="pager">
            <span className="muted small keys-hint" data-testid="worklist-keys">{t('worklist.keys')}</span>
            {/* past one page, which of them: "12 of 62" on the last page read as twelve exams in all */}
            <span className="muted" data-testid="worklist-count">{page.total > PAGE_SIZE && page.rows.length > 0
              ? t('worklist.range', { from: offset + 1, to: offset + page.rows.length, total: page.total })
              // searched or filtered by status: "2 of 2" read as the whole list (a probe): the matches, counted
              : text || status ? translateCount(locale, 'worklist.countFound', page.total)
              : translateCount(locale, 'worklist.count', locale === 'fr' ? page.rows.length : page.total, { shown: page.rows.length, total: page.total })}</span>
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>{t('worklist.previous')}</button>
            <button type="button" disabled={offset + PAGE_SIZE >= page.total} onClick={() => setOffset(offset + PAGE_SIZE)}>{t('worklist.next')}</button>
          </div>
        </>
      )}
    </main>
  );
}

/** Her age on the exam's date beside her name, her birth date in its title; nothing where either date is unknown. */
function AgeNote({ birthDate, on }: { birthDate: string | null; on: string | null }) {
  const { t, locale } = useI18n();
  const age = ageOn(birthDate, on);
  if (age === null) return null;
  return <span className="muted small" data-testid="row-age" title={t('exam.born', { date: formatDicomDate(locale, birthDate), n: age })}> {t('exam.age', { n: age })}</span>;
}
