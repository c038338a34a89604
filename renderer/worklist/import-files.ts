// Files dropped or picked in the renderer. In Electron their paths are known and the main process
// reads them; in a browser only their bytes are, so each is uploaded.

import type { ApiClient } from '../../common/api.ts';
import type { ImportSummary } from '../../common/domain.ts';
import { pathOfDroppedFile } from '../api-client.ts';

/** Every file in a drop, walking dropped folders (FileSystemEntry API). */
export async function filesFromDrop(dataTransfer: DataTransfer): Promise<File[]> {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return [...dataTransfer.files];
  const out: File[] = [];
  const visit = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      out.push(await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await visit(child);
      }
    }
  };
  for (const entry of entries) await visit(entry);
  return out;
}

function emptySummary(): ImportSummary {
  return { jobId: 0, status: 'done', filesSeen: 0, imported: 0, duplicates: 0, rejected: 0, ignored: 0, bytes: 0, seconds: 0, examsTouched: 0, duplicateFiles: [], problems: [] };
}

function add(total: ImportSummary, part: ImportSummary): ImportSummary {
  return {
    ...total,
    jobId: part.jobId,
    status: part.status === 'done' ? total.status : part.status,
    filesSeen: total.filesSeen + part.filesSeen,
    imported: total.imported + part.imported,
    duplicates: total.duplicates + part.duplicates,
    rejected: total.rejected + part.rejected,
    ignored: total.ignored + part.ignored,
    bytes: total.bytes + part.bytes,
    seconds: total.seconds + part.seconds,
    examsTouched: total.examsTouched + part.examsTouched,
    duplicateFiles: [...total.duplicateFiles, ...part.duplicateFiles],
    problems: [...total.problems, ...part.problems],
  };
}

/** Imports files by path when the transport knows paths, else by uploading their bytes one by one. */
export async function importFiles(api: ApiClient, files: File[], onProgress: (done: number, total: number) => void): Promise<ImportSummary> {
  const paths = files.map(pathOfDroppedFile);
  if (files.length && paths.every((p): p is string => p !== null)) return api.importPaths({ paths });
  let summary = emptySummary();
  for (const [i, file] of files.entries()) {
    onProgress(i, files.length);
    summary = add(summary, await api.importUpload({ name: file.webkitRelativePath || file.name, data: new Uint8Array(await file.arrayBuffer()) }));
  }
  onProgress(files.length, files.length);
  return summary;
}
