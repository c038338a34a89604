// Which folders are models, and which model of one id is used: the rules of a models folder,
// apart from how a folder is checked (on the calling thread, or on the AI thread with a time limit),
// so that the main process can walk the folders without loading onnxruntime.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';

/** A model the station does not use because a later root (the library's) holds the same model id. */
export interface ReplacedModel { folder: string; id: string; version: string; by: string }

/** A folder's check: its model (and how to let go of what the check opened), or why it is refused. */
export type FolderCheck<M extends { folder: string; manifest: ModelManifest }> =
  | { ok: true; model: M; release?: () => Promise<void> }
  | { ok: false; folder: string; problem: ModelProblem };

/**
 * Every model folder under `roots` (each a folder of model folders), checked by `check`; a root that
 * does not exist holds none. A link to a folder is followed (an IT person may keep a vendor's model
 * elsewhere); a link to anything else is refused, and so are model files lying loose in a root (they
 * belong in a folder of their own). The same model id twice in one root: the later folder is used,
 * the earlier refused; in two roots: the later root's (the library's) replaces the earlier's, and
 * comes last in the list (the last found is the model exams show by default).
 */
export async function discoverModelFolders<M extends { folder: string; manifest: ModelManifest }>(roots: readonly string[], check: (folder: string) => Promise<FolderCheck<M>>):
Promise<{ models: M[]; refused: { folder: string; problem: ModelProblem }[]; replaced: ReplacedModel[] }> {
  const byId = new Map<string, { model: M; release?: () => Promise<void> }>();
  const refused: { folder: string; problem: ModelProblem }[] = [];
  const replaced: ReplacedModel[] = [];
  for (const root of roots) {
    const entries = await fs.promises.readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const folder = path.join(root, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await fs.promises.stat(folder).catch(() => null);
        if (!target?.isDirectory()) { refused.push({ folder, problem: { code: 'not_a_folder' } }); continue; }
      } else if (!entry.isDirectory()) {
        if (entry.name === 'model.onnx' || entry.name === 'manifest.json') refused.push({ folder, problem: { code: 'loose_file' } });
        continue; // anything else beside the model folders (a README) is not a model
      }
      const checked = await check(folder);
      if (!checked.ok) { refused.push({ folder: checked.folder, problem: checked.problem }); continue; }
      const { id } = checked.model.manifest;
      const earlier = byId.get(id);
      if (earlier) {
        await earlier.release?.();
        byId.delete(id); // re-inserted below: the replacing model is found last
        if (path.dirname(earlier.model.folder) === root) refused.push({ folder: earlier.model.folder, problem: { code: 'duplicate_id', params: { id, folder: entry.name } } });
        else replaced.push({ folder: earlier.model.folder, id, version: earlier.model.manifest.version, by: folder });
      }
      byId.set(id, { model: checked.model, release: checked.release });
    }
  }
  return { models: [...byId.values()].map((e) => e.model), refused, replaced };
}
