// What a model's check (model-check.process.ts) may take of this computer's memory, shared by the
// process that checks and the one that starts it.
import os from 'node:os';

/** The line a check writes on stderr, followed by its bytes, when it kills itself past its memory limit. */
export const MEMORY_LIMIT_LINE = 'binome-model-check: memory limit passed';

const GIB = 1024 ** 3;

/**
 * How much memory a model may use to run one image, beyond what its process held before: a quarter
 * of this computer's memory, at most 4 GiB, or BINOME_AI_MODEL_MEMORY_MB (megabytes: a clinic's IT
 * person who knows the computer, or tests). The station's model needs about 280 MB for a whole
 * breast at 0.1 mm; a model that asks 4–5 GB an image (a probe's) would leave a reading
 * workstation's own work, and the radiologist's images, short of memory.
 */
export function modelMemoryLimitBytes(): number {
  const set = Number(process.env.BINOME_AI_MODEL_MEMORY_MB);
  if (process.env.BINOME_AI_MODEL_MEMORY_MB && Number.isFinite(set) && set > 0) return Math.round(set * 1024 * 1024);
  return Math.min(4 * GIB, Math.round(os.totalmem() / 4));
}
