// The synthetic exam generator's worker task table (synth.worker.ts serves it).
import type { DemoOptions } from './plan.ts';
import type { ImageTruth } from './produce.ts';

export type SynthTasks = {
  /** Renders one image of the demo set (the plan is a pure function of the options, rebuilt on each thread) and writes its file. */
  renderImage: { input: { options: DemoOptions; outDir: string; patient: number; exam: number; image: number }; result: ImageTruth };
};
