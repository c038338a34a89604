// The next exam of the worklist, loaded while the current one is read: its details, its prior's, and
// the images of its first step decoded into Cornerstone's cache (display renditions first, then the
// stored images), so that the next-exam key shows it at once. The cache's size is a setting
// (cornerstone.ts setCacheSizeMb); Cornerstone drops the least recently used images past it.

import type { ExamDetail } from '../../common/domain.ts';
import { choosePriors, hang } from '../../common/hanging/engine.ts';
import type { StationApi } from '../api/station-api.ts';
import { loadAndCacheImage } from './cornerstone.ts';

interface Prefetched {
  detail: ExamDetail;
  priors: ExamDetail[];
}

const prefetched = new Map<number, Promise<Prefetched>>();
let latest: number | null = null;

/**
 * Loads an exam ahead: its details (and its prior's) at once, then the images of its first step into
 * the cache, renditions first. Loading ahead for another exam stops this one's images. `images` never
 * fails (an image that does not load is left to the step that shows it; details that failed, to `details`).
 */
export function prefetchExam(api: StationApi, examId: number, renditions: boolean): { details: Promise<Prefetched>; images: Promise<void> } {
  latest = examId;
  for (const id of prefetched.keys()) if (id !== examId) prefetched.delete(id); // only the next one is kept ahead
  let details = prefetched.get(examId);
  if (!details) {
    details = (async () => {
      const detail = await api.examDetail({ examId, purpose: 'prefetch' });
      const priors = await Promise.all(choosePriors(detail.exam, detail.priors).slice(0, 1).map((id) => api.examDetail({ examId: id, purpose: 'prefetch' })));
      return { detail, priors };
    })();
    prefetched.set(examId, details);
    details.catch(() => prefetched.delete(examId));
  }
  const images = details.then(async ({ detail, priors }) => {
    const plan = hang(detail, priors);
    const wanted = plan.steps[0]?.viewports.flatMap((v) => (v.image ? [v.image] : [])) ?? [];
    const instances = new Map([detail, ...priors].flatMap((d) => d.series.flatMap((s) => s.instances)).map((i) => [i.instanceId, i]));
    for (const resolution of renditions ? ['display', 'full'] as const : ['full'] as const) {
      for (const image of wanted) {
        if (latest !== examId) return; // the reader moved on: prefetch for the new next exam instead
        if (resolution === 'display' && !instances.get(image.instanceId)?.displayRendition) continue;
        await loadAndCacheImage(api.imageIdFor(image.instanceId, resolution === 'display' ? 'display' : undefined)).catch(() => undefined);
      }
    }
  }, () => undefined); // details that failed are said by `details`, which its caller awaits first: not twice, unhandled
  return { details, images };
}

/** What was loaded ahead for an exam (its details and its prior's), if it is the one being opened. */
export async function prefetchedExam(examId: number): Promise<Prefetched | null> {
  const entry = prefetched.get(examId);
  return entry ? await entry.catch(() => null) : null;
}
