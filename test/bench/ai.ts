// npm run bench -- ai: one full-size synthetic 4-view exam through the AI second reader (five times
// after two, each stage's median reported; the first, after the start, is reported beside it), timed per
// stage on the AI worker thread (decode, preprocessing, model, post-processing), the pipeline's
// overhead against a bare session.run of the same input in the same process, and the main event
// loop's worst lag while it runs. The model: the first one models/ holds that the contract
// accepts, or, when there is none yet, a fixed-weight fixture (a 1×1 convolution and a sigmoid:
// its model time is not a detector's, and the summary says so).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { InferenceRunner } from '../../main/ai/inference.ts';
import { loopLag } from './loop-lag.ts';
import { ROOT } from '../helpers/paths.ts';

const ms = (v: number) => `${v.toFixed(0)} ms`;
/** Exams measured (after two that warm the thread up), and passes of the bare model. */
const MEASURED = 5;

// the fixture's maker (and its protobuf library) loaded only when there is no trained model
async function fixtureModel(dir: string): Promise<string> {
  const { fixtureManifest, tinyDetectorModel } = await import('../helpers/onnx-models.ts');
  const folder = path.join(dir, 'fixture');
  fs.mkdirSync(folder, { recursive: true });
  const bytes = tinyDetectorModel({ classes: 2 });
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes,
    { id: 'org.binome.bench.fixture', name: 'Fixed-weight fixture (not a detector)', classes: 2, imageScore: true, spacingMm: 0.2, multiple: 32, threshold: 0.72 })));
  return folder;
}

export async function benchAi(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'binome-bench-ai-'));
  const runner = new InferenceRunner();
  try {
    const shipped = fs.existsSync(path.join(ROOT, 'models')) ? (await runner.discover([path.join(ROOT, 'models')])).models[0] : undefined;
    const folder = shipped?.folder ?? await fixtureModel(base);
    const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: 1, priors: 0, size: 'full', variants: false, seed: 'bench-ai' }, path.join(base, 'exam'));
    const files = demo.dicomFiles.filter((f) => /[RL](CC|MLO)\.dcm$/.test(f)).slice(0, 4);
    console.log(`\nAI second reader, one full-size 4-view exam (3328×2560, 16-bit), ${os.cpus().length} cores, model ${shipped ? `${shipped.manifest.id} ${shipped.manifest.version}` : 'FIXTURE (no trained model in models/ yet)'}`);
    // the first run opens the model on the worker thread: not counted
    await runner.analyzeImage({ file: files[0]!, modelFolder: folder, floor: 0.5 });
    type Stages = { decodeMs: number; preprocessMs: number; modelMs: number; postprocessMs: number };
    let provider = '';
    let tried = '';
    const analyseExam = async (stages: Stages, inputs: { width: number; height: number }[]) => {
      for (const file of files) {
        const r = await runner.analyzeImage({ file, modelFolder: folder, floor: 0.5 });
        provider = r.provider;
        // the providers asked for before the one that ran, and why each failed (a GPU machine without its provider's libraries: CUDA's)
        tried = r.fallbacks.filter((f) => !f.reason.startsWith('not available on')).map((f) => `; ${f.provider} failed: ${f.reason}`).join('');
        for (const k of Object.keys(stages) as (keyof Stages)[]) stages[k] += r.timings[k];
        inputs.push(r.input);
      }
    };
    // The first exam after the start pays once for what the thread then keeps: its code compiled,
    // its arrays grown to the largest image so far (first touching fresh memory is slow on some
    // machines), and the runtime's plan for each input size (a size's first runs took 3–8 times a
    // later run's; the preprocessing helper threads start meanwhile). It is reported; the table is
    // what follows, as a station reading a day's list runs.
    const first: Stages = { decodeMs: 0, preprocessMs: 0, modelMs: 0, postprocessMs: 0 };
    await analyseExam(first, []);
    await analyseExam({ decodeMs: 0, preprocessMs: 0, modelMs: 0, postprocessMs: 0 }, []);
    // then MEASURED exams, each stage's median reported: this machine's speed wanders (other work on
    // its host) by up to twice within a minute, and one exam is one draw of it
    const measured: (Stages & { wallMs: number })[] = [];
    const inputs: { width: number; height: number }[] = [];
    // the main loop's lag while exams are analysed as the station does it (a file name in, findings out)
    const { maxMs, p99Ms, busyMs, gc } = await loopLag(async () => {
      for (let i = 0; i < MEASURED; i++) {
        const exam: Stages = { decodeMs: 0, preprocessMs: 0, modelMs: 0, postprocessMs: 0 };
        const started = performance.now();
        await analyseExam(exam, i === 0 ? inputs : []);
        measured.push({ ...exam, wallMs: performance.now() - started });
      }
    });
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const stages: Stages = { decodeMs: 0, preprocessMs: 0, modelMs: 0, postprocessMs: 0 };
    for (const k of Object.keys(stages) as (keyof Stages)[]) stages[k] = median(measured.map((m) => m[k]));
    const wall = median(measured.map((m) => m.wallMs));
    // the baseline: session.run alone on inputs of the same sizes, in the same worker, the median of
    // MEASURED passes; after the lag was measured, since its input (about 10 MB an image) is made and
    // copied on this thread, which the station never does
    const barePasses: number[] = [];
    for (let i = 0; i < MEASURED; i++) {
      let pass = 0;
      for (const input of inputs) {
        const data = new Float32Array(input.width * input.height);
        pass += (await runner.infer({ modelFolder: folder, input: { data, dims: [1, 1, input.height, input.width] } })).runMs;
      }
      barePasses.push(pass);
    }
    const bare = median(barePasses);
    const pipeline = stages.decodeMs + stages.preprocessMs + stages.postprocessMs;
    console.log(`medians of ${MEASURED} exams (after two), and of ${MEASURED} bare passes over the same input sizes`);
    console.log('images  decode   preprocess  model    postprocess  bare run  exam (wall)');
    console.log(`${files.length}       ${ms(stages.decodeMs).padEnd(8)} ${ms(stages.preprocessMs).padEnd(11)} ${ms(stages.modelMs).padEnd(8)} ${ms(stages.postprocessMs).padEnd(12)} ${ms(bare).padEnd(9)} ${ms(wall)}`);
    console.log(`main loop while it ran: worst lag ${maxMs.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms, longest run of JavaScript between ticks ${busyMs.toFixed(1)} ms; provider ${provider}${tried}`);
    // the main thread's own garbage collection, V8's: where a late tick came from when no code of ours ran there
    console.log(`  the main thread's garbage collection meanwhile: ${gc.count} pauses, ${gc.totalMs.toFixed(1)} ms in all, the longest ${gc.longestMs.toFixed(1)} ms${gc.longestKind ? ` (${gc.longestKind})` : ''}`);
    // the same pipeline against the model's own time inside it, the other baseline: the bare passes run
    // back to back, their threads idle between them (session.force_spinning_stop), which may slow them
    console.log(`pipeline ${ms(pipeline)} = ${(100 * pipeline / Math.max(1, stages.modelMs)).toFixed(0)} % of the model's time in the pipeline (${ms(stages.modelMs)})`);
    const perExam = stages.decodeMs + stages.preprocessMs + stages.modelMs + stages.postprocessMs;
    const firstPipeline = first.decodeMs + first.preprocessMs + first.postprocessMs;
    console.log(`first exam after the start: decode ${ms(first.decodeMs)}, preprocess ${ms(first.preprocessMs)}, model ${ms(first.modelMs)}, postprocess ${ms(first.postprocessMs)}: ` +
      `${ms(firstPipeline + first.modelMs)}, pipeline ${(100 * firstPipeline / Math.max(1, bare)).toFixed(0)} % of the bare model time`);
    // the exam's wall time on the summary line, as in the table (the sum of the stages' medians, 388 ms,
    // read as another figure than the table's 405: a probe); both baselines too: a bare run slowed by other work on the machine (a probe saw it
    // 3.8 times the model's time in the pipeline) flatters the ratio against it
    console.log(`ai: ${ms(wall)} per exam, wall (its stages' medians ${ms(perExam)}; target ≤ 3000 ms), pipeline ${ms(pipeline)} = ${(100 * pipeline / Math.max(1, bare)).toFixed(0)} % of bare model time ${ms(bare)} (target ≤ 30 %; first exam after the start ${(100 * firstPipeline / Math.max(1, bare)).toFixed(0)} %; ${(100 * pipeline / Math.max(1, stages.modelMs)).toFixed(0)} % of the model's time in the pipeline), loop lag ${maxMs.toFixed(1)} ms (≤ 20 ms; the main thread's longest garbage collection ${gc.longestMs.toFixed(1)} ms)` +
      `${shipped ? '' : ' — FIXTURE model: its model time is a 1×1 convolution, not a detector, so the overhead ratio says nothing yet'}`);
  } finally {
    await runner.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
}
