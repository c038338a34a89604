// Time per synthetic exam: full-size 4-view exams (3328×2560), on worker threads, then reduced.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';

export async function benchDemo(exams = 4): Promise<void> {
  console.log(`\nSynthetic exams (binome demo --plain --priors 0), ${os.availableParallelism()} cores`);
  for (const size of ['full', 'reduced'] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'binome-bench-demo-'));
    const n = size === 'full' ? exams : exams * 4;
    const s = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: n, priors: 0, size, variants: false, seed: 'bench' }, dir);
    console.log(`  ${size.padEnd(8)} ${n} exams, ${s.images} images, ${(s.bytes / 1048576).toFixed(0)} MB: ${s.seconds.toFixed(2)} s, ${s.secondsPerExam.toFixed(2)} s per 4-view exam (target for full size: < 2 s)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
