// A thread that runs models (ai-tasks.ts). Each model is checked against its contract and opened
// once per thread (model-package.ts), then kept open for the next runs; a model whose file changed
// since (its size or modification time), or whose manifest did (its bytes), is checked and opened again.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { openRegularFileSync } from '../base/regular-file.ts';
import { serveTasks } from '../workers/serve.ts';
import { TaskError } from '../workers/protocol.ts';
import { describeModelProblem } from '../../common/ai/model-problems.ts';
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';
import { MAX_MANIFEST_BYTES, checkModelFolder } from './model-package.ts';
import { analyzeImage } from './image-analysis.ts';
import { manifestDigest, resultsDigest } from './manifest-digest.ts';
import type { CheckedModel } from './model-package.ts';
import type { AiTasks, ExpectedModel, TensorData } from './ai-tasks.ts';

/**
 * This thread, and the threads it starts (its preprocessing helper, the runtime's own pool, opened
 * here), take the cores after the main thread: on Linux, where each thread has a priority of its own
 * and a new thread inherits its maker's, ten steps lower than it started. On two cores this thread,
 * its helper and the main thread shared them evenly, and the main event loop, woken by the reader's
 * click, waited up to 96 ms for a turn (bench ai under other load). They keep one priority among themselves: a
 * helper lowered alone held this thread waiting for its pieces (2026-12-02). Elsewhere, or where it
 * is not allowed, the process's priority.
 */
function lowerThreadPriority(): void {
  try {
    const thread = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(thread) && thread > 0) os.setPriority(thread, Math.min(19, os.getPriority(thread) + 10));
  } catch {
    // not Linux, or not allowed
  }
}
lowerThreadPriority();

interface OpenModel { stamp: string; model: Promise<CheckedModel> }
const open = new Map<string, OpenModel>();

/**
 * What says the folder is as it was opened: the model file's size and time, and the manifest's own
 * bytes (a few kilobytes, hashed at each run). On the file's stamp alone, a manifest edited while its
 * model was open here was not seen: runs within a minute of the edit were done, and recorded, by the
 * manifest read before it; later ones failed as model_changed (a probe).
 */
function stampOf(folder: string): string {
  let file: string;
  try {
    const stat = fs.statSync(path.join(folder, 'model.onnx'), { throwIfNoEntry: false });
    file = stat ? `${stat.size}:${stat.mtimeMs}` : 'missing';
  } catch (error) {
    // its folder made unreadable (chmod 000) while open: checked again, and refused saying why (model_refused,
    // tried again at the next start), not a failure of the exam's as EACCES, shown raw and never tried again (a probe)
    file = `unreadable:${(error as NodeJS.ErrnoException).code ?? ''}`;
  }
  return `${file}:${manifestStamp(path.join(folder, 'manifest.json'))}`;
}

/**
 * The manifest's SHA-256, or what else is there (missing, not a file, too large to be one): checking
 * the folder again then says why. Opened as a regular file only (openRegularFileSync: without waiting,
 * without following a link), and read only if of a manifest's size: a named pipe put in its place held the AI thread for good
 * (open() waits for a writer), and a sparse file of 1.5 GB was read whole at every run (a probe).
 */
function manifestStamp(file: string): string {
  let opened: { fd: number; stat: fs.Stats };
  try {
    opened = openRegularFileSync(file, { followLinks: false });
  } catch (error) {
    return `unreadable:${(error as NodeJS.ErrnoException).code ?? ''}`;
  }
  try {
    if (opened.stat.size > MAX_MANIFEST_BYTES) return `too-large:${opened.stat.size}:${opened.stat.mtimeMs}`;
    return crypto.createHash('sha256').update(fs.readFileSync(opened.fd)).digest('hex');
  } finally {
    fs.closeSync(opened.fd);
  }
}

async function modelFor(folder: string, providers: ExecutionProvider[] | undefined): Promise<{ model: CheckedModel; loaded: boolean }> {
  const key = `${folder}\u0000${providers?.join(',') ?? ''}`;
  const stamp = stampOf(folder);
  const cached = open.get(key);
  if (cached && cached.stamp === stamp) return { model: await cached.model, loaded: false };
  if (cached) void cached.model.then((m) => m.opened.session.release(), () => undefined);
  const model = checkModelFolder(folder, { providers }).then((checked) => {
    if (!checked.ok) throw new TaskError(describeModelProblem('en', checked.problem), 'model_refused', checked.problem);
    return checked.model;
  });
  open.set(key, { stamp, model });
  model.catch(() => open.delete(key));
  return { model: await model, loaded: true };
}

/**
 * The model as the main process knows it, or a refusal: a folder replaced while the station ran (a new
 * version copied over the old) was checked again here and run, and its findings were recorded, and
 * sent in a CAD SR, under the old model's name and version (a probe).
 */
function assertExpected(model: CheckedModel, expected: ExpectedModel | undefined): void {
  if (!expected || manifestDigest(model.manifest) === expected.manifestDigest) return;
  const { id, version, sha256 } = model.manifest;
  // its words alone edited (a limit reworded): the same results, recorded under the same id and version;
  // refused, an IT person's typo fixed held the model's every analysis until the station started again (a vendor's probe)
  if (id === expected.id && version === expected.version && expected.resultsDigest !== undefined && resultsDigest(model.manifest) === expected.resultsDigest) return;
  if (id === expected.id && version === expected.version) {
    // the same id and version, the manifest edited (its classes reordered, a threshold changed)
    throw new TaskError(`the model's manifest.json was edited since the station started (${id} ${version}): the station reads it once started again`, 'model_changed');
  }
  throw new TaskError(`the model's folder now holds ${id} ${version} (sha256 ${sha256.slice(0, 12)}…), not the ${expected.id} ${expected.version} found at start: the station reads it once started again`, 'model_changed');
}

serveTasks<AiTasks>({
  infer: async ({ modelFolder, providers, input }) => {
    const started = performance.now();
    const { model } = await modelFor(modelFolder, providers);
    const loadMs = performance.now() - started;
    const { session } = model.opened;
    const feeds = { [model.manifest.input.tensor.name]: new Tensor('float32', input.data, input.dims) };
    const ran = performance.now();
    const results = await session.run(feeds);
    const runMs = performance.now() - ran;
    const outputs: Record<string, TensorData> = {};
    for (const [name, tensor] of Object.entries(results)) {
      if (tensor.type !== 'float32') continue;
      outputs[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
    }
    return { outputs, provider: model.opened.provider, fallbacks: model.opened.fallbacks, loadMs, runMs };
  },
  analyzeImage: async ({ file, modelFolder, providers, floor, expected }) => {
    const started = performance.now();
    const { model } = await modelFor(modelFolder, providers);
    assertExpected(model, expected);
    const loadMs = performance.now() - started;
    const analysis = await analyzeImage(file, model.manifest, model.opened.session, { floor });
    return { ...analysis, provider: model.opened.provider, fallbacks: model.opened.fallbacks, loadMs };
  },
});
