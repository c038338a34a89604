// Which folders are models, and which model of one id is used: the rules of a models folder,
// apart from how a folder is checked (on the calling thread, or on the AI thread with a time limit),
// so that the main process can walk the folders without loading onnxruntime.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import { comparableName } from '../../common/ai/model-manifest.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';
import { manifestDigest } from './manifest-digest.ts';

/** A model the station does not use because a later root (the library's) holds the same model id. */
export interface ReplacedModel { folder: string; id: string; version: string; by: string; byVersion: string }

/** A folder's check: its model (and how to let go of what the check opened), or why it is refused. */
export type FolderCheck<M extends { folder: string; manifest: ModelManifest }> =
  | { ok: true; model: M; release?: () => Promise<void> }
  | { ok: false; folder: string; problem: ModelProblem };

/** What the folders under the roots hold: the models used, those refused, those another root's replaces. */
export interface FoundModels<M> { models: M[]; refused: { folder: string; problem: ModelProblem }[]; replaced: ReplacedModel[] }

/** Two whole numbers written in decimal, of any length, compared exactly (as Numbers, 100000000000000000001 was 100000000000000000000: a probe). */
const compareWhole = (p: string, q: string): number => {
  const x = BigInt(p), y = BigInt(q);
  return x === y ? 0 : x < y ? -1 : 1;
};

/**
 * Semantic versions compared (the manifest's `version`: 1.2.0, 1.2.0-rc.1, 1.2.0+build): by major,
 * minor and patch as whole numbers, a pre-release before its release; build metadata does not count.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('+')[0]!.split(/-(.*)/s);
    return { parts: core!.split('.'), pre: pre ?? null };
  };
  const x = parse(a), y = parse(b);
  for (let i = 0; i < 3; i++) {
    const order = compareWhole(x.parts[i] ?? '0', y.parts[i] ?? '0');
    if (order) return order;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === null) return 1;
  if (y.pre === null) return -1;
  // pre-releases: dot-separated identifiers, numbers compared as numbers and before words
  const xs = x.pre.split('.'), ys = y.pre.split('.');
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const p = xs[i], q = ys[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const pn = /^\d+$/.test(p), qn = /^\d+$/.test(q);
    if (pn && qn) return compareWhole(p, q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/** What the station's own models (the first root's) say of themselves, for the rules on library copies of them. */
interface ShippedManifest { folder: string; id: string; name: string; data: string; notForDiagnosticUse: boolean }

/**
 * The first root's models as their checks found them, or, where a check has not ended (set aside), as
 * its manifest.json reads (the station's own files; one that cannot be read has nothing to guard yet).
 */
async function shippedManifests(checks: readonly { folder: string; result: FolderCheck<{ folder: string; manifest: ModelManifest }> | null }[]): Promise<ShippedManifest[]> {
  const read = await Promise.all(checks.map(async (c): Promise<ShippedManifest | null> => {
    if (c.result) return c.result.ok ? describe(c.result.model.folder, c.result.model.manifest) : null;
    try {
      return describe(c.folder, JSON.parse((await fs.promises.readFile(path.join(c.folder, 'manifest.json'), 'utf8')).replace(/^\ufeff/, '')) as ModelManifest);
    } catch {
      return null;
    }
  }));
  return read.filter((m): m is ShippedManifest => m !== null);
}

function describe(folder: string, manifest: ModelManifest): ShippedManifest | null {
  const { id, name, training, intendedUse } = manifest ?? {};
  if (typeof id !== 'string' || typeof name !== 'string') return null;
  return { folder, id, name, data: String(training?.data), notForDiagnosticUse: intendedUse?.notForDiagnosticUse !== false };
}

/**
 * Every model folder under `roots` (each a folder of model folders), checked by `check`; a root that
 * does not exist holds none. A link to a folder is followed (an IT person may keep a vendor's model
 * elsewhere); a link to anything else is refused, and so are model files lying loose in a root (they
 * belong in a folder of their own). The same model id twice in one root: the higher version is used
 * (of one version, the later folder), the other refused; in two roots: the later root's (the library's) replaces the earlier's, and
 * comes last in the list (the last found is the model exams show by default).
 *
 * A check that calls its `setAside` (it runs long: a model's trial run that takes minutes) is not
 * waited for: the next folders are checked meanwhile, and what is found without it is returned,
 * its folder in `checking`; `complete` gives what is found once every check has ended (one slow
 * model held every model back for its two minutes at each start, N slow ones N × 2 minutes).
 *
 * Two models of one name under different ids: the later found is refused, unless only it is one of
 * `knownIds` (the models the library has analyses of): a name the clinic's model has shown its marks
 * under stays that model's, wherever a newcomer of that name lies.
 */
export async function discoverModelFolders<M extends { folder: string; manifest: ModelManifest }>(roots: readonly string[], check: (folder: string, setAside: () => void) => Promise<FolderCheck<M>>,
  options: { knownIds?: ReadonlySet<string> } = {}):
Promise<FoundModels<M> & { checking: string[]; complete: Promise<FoundModels<M>> }> {
  // each folder's check, in the order the rules read them (a check set aside ends later)
  const checks: { folder: string; result: FolderCheck<M> | null; done: Promise<unknown> }[] = [];
  const refusedBefore: { at: number; folder: string; problem: ModelProblem }[] = [];
  const rootOf = new Map<string, string>();
  for (const root of roots) {
    const entries = await fs.promises.readdir(root, { withFileTypes: true }).catch(async (error: NodeJS.ErrnoException) => {
      // a folder not made yet is no problem; one that is there and cannot be read is said (the list was
      // silent where the library's models folder was a file or a link to nothing: a probe)
      const linked = await fs.promises.lstat(root).then((l) => l.isSymbolicLink(), () => false);
      const reason = error.code === 'ENOTDIR' ? 'not_a_folder' : error.code === 'EACCES' || error.code === 'EPERM' ? 'denied' : error.code === 'ENOENT' ? (linked ? 'broken_link' : null) : 'unreadable';
      if (reason) refusedBefore.push({ at: checks.length, folder: root, problem: { code: 'models_folder_unusable', params: { reason } } });
      return [];
    });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const folder = path.join(root, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await fs.promises.stat(folder).catch(() => null);
        if (!target?.isDirectory()) { refusedBefore.push({ at: checks.length, folder, problem: { code: 'not_a_folder' } }); continue; }
      } else if (!entry.isDirectory()) {
        // (a manifest saved as manifest.json.txt, a model named after its vendor's .onnx, a zip not unpacked: said, not passed over)
        if (/^(model\.onnx|manifest\.json)/i.test(entry.name) || /\.onnx$/i.test(entry.name)) refusedBefore.push({ at: checks.length, folder, problem: { code: 'loose_file' } });
        else if (/\.(zip|7z|rar|tar|tgz|tar\.gz|tar\.xz|tar\.bz2)$/i.test(entry.name)) refusedBefore.push({ at: checks.length, folder, problem: { code: 'model_archive' } });
        continue; // anything else beside the model folders (a README) is not a model
      }
      rootOf.set(folder, root);
      let setAside!: () => void;
      const aside = new Promise<void>((resolve) => { setAside = resolve; });
      const entryCheck = { folder, result: null as FolderCheck<M> | null, done: Promise.resolve() as Promise<unknown> };
      entryCheck.done = check(folder, setAside).then((result) => { entryCheck.result = result; });
      entryCheck.done.catch(() => undefined); // a check set aside that throws fails `complete`, not the process
      checks.push(entryCheck);
      await Promise.race([entryCheck.done, aside]);
    }
  }
  const released = new Set<FolderCheck<M>>();
  // the rules applied to the checks ended so far, in folder order
  const merge = async (): Promise<FoundModels<M>> => {
    const byId = new Map<string, { model: M; check: FolderCheck<M> }>();
    const refused: { folder: string; problem: ModelProblem }[] = [];
    const replaced: ReplacedModel[] = [];
    // the models installed with the station (the first root's, where there are others), by id and by name;
    // one whose check is still running (set aside: a slow start) by its manifest read as it is: a library
    // copy under its id that drops its caveat, or another id under its name, was let by until its check
    // ended, analyses and SRs made meanwhile (a re-probe)
    const shippedFolders = await shippedManifests(checks.filter((c) => roots.length > 1 && rootOf.get(c.folder) === roots[0]));
    const shippedById = new Map(shippedFolders.map((m) => [m.id, m]));
    for (const [at, c] of checks.entries()) {
      for (const r of refusedBefore) if (r.at === at) refused.push({ folder: r.folder, problem: r.problem });
      const checked = c.result;
      if (!checked) continue;
      if (!checked.ok) { refused.push({ folder: checked.folder, problem: checked.problem }); continue; }
      const { id } = checked.model.manifest;
      // in a later folder of models, a version of a model installed with the station that drops what it
      // says of itself: trained on other images, or for diagnostic use where the station's is not. A
      // library folder under the shipped detector's id, "trained on real images" and no longer "not for
      // diagnostic use", took its place under its name, the warning gone from every mark and CAD SR (a
      // vendor's probe). Refused, whatever else the folder holds (a second library copy beside one that
      // kept the caveat slipped past a check made against the copy it replaced: a re-probe); a model of
      // another kind takes its own id.
      const shippedModel = rootOf.get(c.folder) !== roots[0] ? shippedById.get(id) : undefined;
      if (shippedModel && (checked.model.manifest.training.data !== shippedModel.data
        || (shippedModel.notForDiagnosticUse && !checked.model.manifest.intendedUse.notForDiagnosticUse))) {
        if (!released.has(checked)) { released.add(checked); await checked.release?.(); }
        refused.push({ folder: checked.model.folder, problem: { code: 'shipped_caveat', params: { id, folder: path.basename(shippedModel.folder), data: shippedModel.data, notForDiagnosticUse: shippedModel.notForDiagnosticUse ? 1 : 0 } } });
        continue;
      }
      const earlier = byId.get(id);
      if (earlier) {
        const sameRoot = path.dirname(earlier.model.folder) === rootOf.get(c.folder);
        // in a later folder of models, the same version with another file or manifest: one version of a
        // model is one file and one manifest, which its analyses and CAD reports name. It took the place
        // of the station's own model under its name and version, its findings and its "not for diagnostic
        // use" with it (a vendor's probe): refused, the earlier kept
        if (!sameRoot && compareVersions(earlier.model.manifest.version, checked.model.manifest.version) === 0 && manifestDigest(earlier.model.manifest) !== manifestDigest(checked.model.manifest)) {
          if (!released.has(checked)) { released.add(checked); await checked.release?.(); }
          refused.push({ folder: checked.model.folder, problem: { code: 'same_version_other_file', params: { id, version: checked.model.manifest.version, folder: path.basename(earlier.model.folder), sameFile: earlier.model.manifest.sha256 === checked.model.manifest.sha256 ? 1 : 0 } } });
          continue;
        }
        // in one folder, the higher version (a clinic drops "vendor-2.0" beside "vendor-10.0", or
        // "model-new" beside "model-old": folder names do not say which is newer); of one version, the later folder
        const [kept, dropped] = sameRoot && compareVersions(earlier.model.manifest.version, checked.model.manifest.version) > 0 ? [earlier, { model: checked.model, check: checked }] : [{ model: checked.model, check: checked }, earlier];
        if (!released.has(dropped.check) && dropped.check.ok) { released.add(dropped.check); await dropped.check.release?.(); }
        byId.delete(id); // re-inserted below: the replacing model is found last
        if (sameRoot) refused.push({ folder: dropped.model.folder, problem: { code: 'duplicate_id', params: { id, folder: path.basename(kept.model.folder), version: kept.model.manifest.version } } });
        else replaced.push({ folder: earlier.model.folder, id, version: earlier.model.manifest.version, by: c.folder, byVersion: checked.model.manifest.version });
        byId.set(id, kept);
        continue;
      }
      byId.set(id, { model: checked.model, check: checked });
    }
    for (const r of refusedBefore) if (r.at === checks.length) refused.push({ folder: r.folder, problem: r.problem });
    // two models of one name under different ids could be told apart nowhere the reader looks (the
    // label over the marks, the strip, a CAD SR's algorithm name and version: a probe), and of another
    // version one reads as an update of the other ("Juniper YOLO Detector" 2.0.0 under another id beside
    // the clinic's 1.0.0: a vendor's probe): the later found is refused, saying which it looks like
    const byName = new Map<string, M>();
    // and the names of the models installed with the station (the first root's): each belongs to its
    // id, whatever the version; a vendor's "Binome synthetic-exam detector" 0.6.0 under its own id
    // read as an update of the shipped model (a vendor's probe)
    // (read from the first root's folders: a newer version of the same id in the library replaces the model, not its name)
    const shipped = new Map(shippedFolders.map((m) => [comparableName(m.name), m]));
    // the models the library knows claim their names first: a newcomer of the same name in a folder sorted
    // before the clinic's took the name, and the clinic's model was refused (order-dependent: an attacker's
    // "aaa" folder would have shown its marks under the name the readers trust)
    const candidates = [...byId.values()];
    const known = (c: { model: M }) => options.knownIds?.has(c.model.manifest.id) ?? false;
    const kept = new Set<M>();
    for (const { model, check: held } of [...candidates.filter(known), ...candidates.filter((c) => !known(c))]) {
      const { name, version, id } = model.manifest;
      const key = comparableName(name);
      const first = byName.get(key);
      const owner = shipped.get(key);
      const problem: ModelProblem | null = owner && owner.id !== id ? { code: 'shipped_name', params: { name, id: owner.id, folder: path.basename(owner.folder), ownId: id } }
        : first ? { code: 'duplicate_name', params: { name, version, id: first.manifest.id, otherVersion: first.manifest.version, folder: path.basename(first.folder), ownId: id } } : null;
      if (!problem) { byName.set(key, model); kept.add(model); continue; }
      if (!released.has(held) && held.ok) { released.add(held); await held.release?.(); }
      refused.push({ folder: model.folder, problem });
    }
    // in the order found: the last is the model exams show by default
    const models = candidates.map((c) => c.model).filter((m) => kept.has(m));
    return { models, refused, replaced };
  };
  const checking = checks.filter((c) => !c.result).map((c) => c.folder);
  const found = await merge();
  const complete = checking.length ? Promise.all(checks.map((c) => c.done)).then(merge) : Promise.resolve(found);
  return { ...found, checking, complete };
}
