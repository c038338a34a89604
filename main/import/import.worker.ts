// The import worker thread: parses and checks files, copies them into the store and hashes them,
// so that none of it runs on the main process's event loop (a crafted file once froze the whole
// station for 44 s). Tasks are safe to run twice: the pool re-runs them when a thread is stopped.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readForDisplay } from '../dicom/pixels/rendition.ts';
import { serveTasks } from '../workers/serve.ts';
import type { ImportTasks } from './import-tasks.ts';
import { StoreLayout, StoreWriter, hashFile } from '../dicom/store.ts';
import { inspectFile } from '../dicom/inspect.ts';
import { resolveDicomDir } from './dicomdir.ts';
import { checkpointDatabase } from '../db/connection.ts';
import { CadSrError, readCadSr } from '../dicom/cad-sr-read.ts';

const writers = new Map<string, StoreWriter>();

serveTasks<ImportTasks>({
  inspect: async ({ file }) => {
    const stat = await fs.promises.stat(file);
    // opening a pipe blocks until someone writes to it, and no thread can be stopped while it waits
    if (!stat.isFile() && !stat.isDirectory()) return { kind: 'not-regular-file' };
    const size = stat.size;
    const inspection = await inspectFile(file);
    switch (inspection.kind) {
      case 'instance': return { kind: 'instance', attributes: inspection.instance, warnings: inspection.warnings, size, contentLength: inspection.contentLength };
      case 'dicomdir': return { kind: 'dicomdir', ...resolveDicomDir(file, inspection.referencedFiles) };
      case 'not-dicom': return inspection;
      case 'damaged': return { kind: 'damaged', problem: inspection.problem, studyUid: inspection.ids.studyUid, sopInstanceUid: inspection.ids.sopInstanceUid };
    }
  },
  store: async ({ file, storeRoot, tmpDir, durable, move, link }) => {
    let writer = writers.get(tmpDir);
    if (!writer) writers.set(tmpDir, (writer = new StoreWriter(new StoreLayout(storeRoot), tmpDir)));
    return writer.putFile(file, { durable, move, link });
  },
  hash: async ({ file, followLinks }) => hashFile(file, { followLinks: followLinks ?? false }),
  readCadSr: async ({ file }) => {
    try {
      return { report: readCadSr(await fs.promises.readFile(file)) };
    } catch (error) {
      if (error instanceof CadSrError) return { problem: error.code, message: error.message };
      return { problem: 'unreadable', message: (error as Error)?.name ?? 'error' };
    }
  },
  checkpoint: async ({ database }) => checkpointDatabase(database),
  rendition: async ({ file, target, tmpDir, maxSide, rendition, breastBox }) => {
    const made = await readForDisplay(file, { maxSide, rendition, breastBox });
    const bytes = made.rendition;
    if (!bytes) return { side: 0, breastBox: made.breastBox };
    // written aside, then renamed into place: a reader never sees half a rendition
    const tmp = path.join(tmpDir, `rendition-${randomBytes(6).toString('hex')}`);
    // the library's temporary folder too: not made at start on a disk without a free inode, the
    // write failed as ENOENT, taken for the image's fault, and the image never had a rendition (a probe)
    await fs.promises.mkdir(tmpDir, { recursive: true });
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await fs.promises.writeFile(tmp, bytes);
    await fs.promises.rename(tmp, target);
    return { side: maxSide, breastBox: made.breastBox };
  },
});
