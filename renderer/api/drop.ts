// Reading a drop: the top-level items at once (the DataTransfer empties after the event), and every
// file under dropped folders on demand (the FileSystemEntry API).

import type { Drop } from './station-api.ts';

export function readDrop(dataTransfer: DataTransfer): Drop {
  const topLevel = [...dataTransfer.files];
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  return {
    topLevel,
    allFiles: async () => {
      if (!entries.length) return topLevel;
      const out: File[] = [];
      const visit = async (entry: FileSystemEntry): Promise<void> => {
        if (entry.isFile) {
          const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
          // keep the path inside the dropped folder, as the user knows the file
          out.push(entry.fullPath ? new File([file], entry.fullPath.replace(/^\//, ''), { type: file.type, lastModified: file.lastModified }) : file);
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
    },
  };
}
