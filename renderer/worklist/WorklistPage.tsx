import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppInfo, WorklistPage as Page } from '../../common/api.ts';
import { WORKLIST_SORT_FIELDS } from '../../common/api.ts';
import type { ExamStatus, ImportProgress, ImportSummary, UnfinishedImport } from '../../common/domain.ts';
import { EXAM_STATUSES } from '../../common/domain.ts';
import { formatDicomDate, formatPersonName } from '../../common/i18n/messages.ts';
import { useApi } from '../api-context.ts';
import { useI18n } from '../i18n.tsx';
import { filesFromDrop, importFiles } from './import-files.ts';

type SortField = (typeof WORKLIST_SORT_FIELDS)[number];
const PAGE_SIZE = 50;

export function WorklistPage({ transport }: { transport: AppInfo['transport'] | null }) {
  const api = useApi();
  const { t, locale } = useI18n();
  const [page, setPage] = useState<Page | null>(null);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<ExamStatus | ''>('');
  const [sort, setSort] = useState<{ field: SortField; direction: 'asc' | 'desc' }>({ field: 'studyDate', direction: 'desc' });
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number; generating?: boolean } | null>(null);
  const [result, setResult] = useState<ImportSummary | null>(null);
  const [dragging, setDragging] = useState(false);
  const [importPath, setImportPath] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const [refresh, setRefresh] = useState(0);
  const [unfinished, setUnfinished] = useState<UnfinishedImport[]>([]);

  useEffect(() => {
    let cancelled = false;
    api.worklistQuery({ filter: { text: text || undefined, status: status ? [status] : undefined }, sort, offset, limit: PAGE_SIZE })
      .then((p) => { if (!cancelled) { setPage(p); setError(null); } })
      .catch((e: Error) => { if (!cancelled) setError(e.message); });
    return () => { cancelled = true; };
  }, [api, text, status, sort, offset, refresh]);

  useEffect(() => {
    api.unfinishedImports({}).then(setUnfinished).catch(() => setUnfinished([]));
  }, [api, refresh]);

  useEffect(() => {
    const offProgress = api.on('importProgress', (p: ImportProgress) => setProgress(p.phase === 'done' ? null : { done: p.filesDone, total: p.filesTotal, generating: p.phase === 'generating' }));
    const offChanged = api.on('worklistChanged', () => setRefresh((n) => n + 1));
    return () => { offProgress(); offChanged(); };
  }, [api]);

  const runImport = useCallback(async (task: () => Promise<ImportSummary>) => {
    setResult(null);
    setError(null);
    setProgress({ done: 0, total: 0 });
    try {
      setResult(await task());
    } catch (e) {
      setError(t('import.failed', { message: (e as Error).message }));
    } finally {
      setProgress(null);
      setRefresh((n) => n + 1);
    }
  }, [t]);

  const onImportButton = async () => {
    if (transport === 'electron-ipc') {
      const paths = await api.pickImportPaths({ kind: 'folder' }).catch(() => []);
      if (paths.length) await runImport(() => api.importPaths({ paths }));
    } else {
      fileInput.current?.click();
    }
  };

  const onDrop = async (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = await filesFromDrop(e.dataTransfer);
    if (files.length) await runImport(() => importFiles(api, files, (done, total) => setProgress({ done, total })));
  };

  const toggleSort = (field: SortField) => {
    setOffset(0);
    setSort((s) => ({ field, direction: s.field === field && s.direction === 'desc' ? 'asc' : 'desc' }));
  };
  const header = (field: SortField | null, label: string) => (
    <th onClick={field ? () => toggleSort(field) : undefined} className={field ? 'sortable' : undefined}
      aria-sort={field && sort.field === field ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}>
      {label}{field && sort.field === field ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}
    </th>
  );

  return (
    <main className={`worklist ${dragging ? 'dragging' : ''}`} data-testid="worklist"
      onDragOver={(e) => { e.preventDefault(); setDragging(true); }} onDragLeave={() => setDragging(false)} onDrop={onDrop}>
      <div className="toolbar">
        <h1>{t('worklist.title')}</h1>
        <input className="search" type="search" placeholder={t('worklist.search')} value={text} data-testid="search"
          onChange={(e) => { setText(e.target.value); setOffset(0); }} />
        <select value={status} onChange={(e) => { setStatus(e.target.value as ExamStatus | ''); setOffset(0); }} data-testid="status-filter">
          <option value="">{t('worklist.status.all')}</option>
          {EXAM_STATUSES.map((s) => <option key={s} value={s}>{t(`status.${s}`)}</option>)}
        </select>
        <div className="spacer" />
        <button type="button" className="primary" onClick={onImportButton} data-testid="import-button">{t('import.button')}</button>
        <input ref={fileInput} type="file" multiple hidden data-testid="import-files"
          onChange={(e) => { const files = [...(e.target.files ?? [])]; e.target.value = ''; if (files.length) void runImport(() => importFiles(api, files, (done, total) => setProgress({ done, total }))); }} />
      </div>
      {transport !== 'electron-ipc' && (
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
        <div className="notice" data-testid="import-result">
          <p>{t('import.result', { imported: result.imported, duplicates: result.duplicates, rejected: result.rejected })}</p>
          {result.problems.slice(0, 20).map((p, i) => <p key={i} className="problem">{t('import.rejected', { file: p.file, reason: p.reason })}</p>)}
          <button type="button" onClick={() => setResult(null)}>{t('import.dismiss')}</button>
        </div>
      )}
      {unfinished.map((job) => (
        <div className="notice warning" key={job.jobId} data-testid="unfinished-import">
          <p>{t('import.unfinished', { date: new Date(job.startedAt).toLocaleString(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' }), count: job.examsHeldBack })}</p>
          {job.paths
            ? <button type="button" disabled={progress !== null} onClick={() => void runImport(() => api.resumeImport({ jobId: job.jobId }))}>{t('import.resume')}</button>
            : <p className="muted small">{t('import.unfinishedUpload')}</p>}
        </div>
      ))}
      {error && <div className="notice error" role="alert">{error}</div>}
      {dragging && <div className="dropzone">{t('import.drop')}</div>}
      {!page ? <p className="muted">{t('worklist.loading')}</p> : page.total === 0 ? (
        <div className="empty" data-testid="worklist-empty">
          <p>{text || status ? t('worklist.noMatch') : t('worklist.empty')}</p>
          {!text && !status && (
            <>
              <button type="button" onClick={() => void runImport(() => api.loadDemoExams({}))} disabled={progress !== null} data-testid="load-demo">{t('demo.load')}</button>
              <p className="muted small">{t('demo.explain')}</p>
            </>
          )}
        </div>
      ) : (
        <>
          <table className="exams">
            <thead>
              <tr>
                {header('patientName', t('worklist.column.patient'))}
                {header('patientId', t('worklist.column.patientId'))}
                {header('studyDate', t('worklist.column.examDate'))}
                {header(null, t('worklist.column.views'))}
                {header('imageCount', t('worklist.column.images'))}
                {header('status', t('worklist.column.status'))}
              </tr>
            </thead>
            <tbody>
              {page.rows.map((exam) => (
                <tr key={exam.examId} data-testid="exam-row" data-exam-id={exam.examId} tabIndex={0}
                  onClick={() => { location.hash = `#/exam/${exam.examId}`; }}
                  onKeyDown={(e) => { if (e.key === 'Enter') location.hash = `#/exam/${exam.examId}`; }}>
                  <td>{formatPersonName(exam.patientName)}</td>
                  <td>{exam.patientId || '—'}</td>
                  <td>{formatDicomDate(locale, exam.studyDate)}</td>
                  <td className="views">{exam.views.length ? exam.views.map((v) => <span key={v} className="view-chip">{v}</span>) : '—'}</td>
                  <td className="num">{exam.imageCount}</td>
                  <td><span className={`status status-${exam.status}`}>{t(`status.${exam.status}`)}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <span className="muted">{t('worklist.count', { shown: page.rows.length, total: page.total })}</span>
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>{t('worklist.previous')}</button>
            <button type="button" disabled={offset + PAGE_SIZE >= page.total} onClick={() => setOffset(offset + PAGE_SIZE)}>{t('worklist.next')}</button>
          </div>
        </>
      )}
    </main>
  );
}
