// What a model's check (model-check.process.ts) may take of this computer's memory, shared by the
// process that checks and the one that starts it.
import os from 'node:os';
import { log } from '../base/log.ts';

/** The line a check writes on stderr, followed by its bytes, when it kills itself past its memory limit. */
export const MEMORY_LIMIT_LINE = 'binome-model-check: memory limit passed';
/** The line a check writes on stderr every 0.1 s, followed by the bytes it holds beyond what it held before the model. */
export const MEMORY_REPORT_LINE = 'binome-model-check: holds';

const GIB = 1024 ** 3;
/** The least BINOME_AI_MODEL_MEMORY_MB taken (the station's own model needs about 280 MB). */
export const MODEL_MEMORY_MIN_MB = 512;
let warned = false;

/**
 * How much memory a model's check may use (opening it and its trial run on an image as large as it
 * will be given), beyond what its process held before: a quarter of this computer's memory, at most
 * 4 GiB, or BINOME_AI_MODEL_MEMORY_MB (megabytes, a plain number from 512 to the computer's memory: a
 * clinic's IT person who knows the computer, or tests; anything else is said in the log and the
 * default used: "0x100" read as 256 MB refused the station's own model, "1e30" lifted the limit, a
 * probe). The checks running at once share it (model-check-process.ts). The station's model needs
 * about 280 MB for a whole breast at 0.1 mm; a model that asks 4–5 GB an image (a probe's) would leave
 * a reading workstation's own work, and the radiologist's images, short of memory.
 */
export function modelMemoryLimitBytes(): number {
  const setting = modelMemorySetting();
  if (setting.ignored !== undefined && !warned) {
    log.warn(`BINOME_AI_MODEL_MEMORY_MB is not a number of megabytes from ${MODEL_MEMORY_MIN_MB} (${JSON.stringify(setting.ignored)}): a model's check may use ${Math.round(setting.bytes / 1024 / 1024)} MB, the default`);
    warned = true;
  }
  return setting.bytes;
}

/**
 * The limit and, when BINOME_AI_MODEL_MEMORY_MB was set but not taken, what it held (its first 40
 * characters): `binome models`, which logs errors only, says so itself (an IT person's "0x100" went
 * unremarked there, a probe).
 */
export function modelMemorySetting(): { bytes: number; ignored?: string } {
  const fallback = Math.min(4 * GIB, Math.round(os.totalmem() / 4));
  const set = process.env.BINOME_AI_MODEL_MEMORY_MB;
  if (set === undefined || set === '') return { bytes: fallback };
  const mb = /^\d{1,15}(\.\d+)?$/.test(set.trim()) ? Number(set.trim()) : NaN;
  if (!(mb >= MODEL_MEMORY_MIN_MB)) return { bytes: fallback, ignored: set.slice(0, 40) };
  return { bytes: Math.min(Math.round(mb * 1024 * 1024), os.totalmem()) };
}
