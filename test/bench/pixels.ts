// The pixel pipeline on full-size images (3328 × 2560, 12 bits): decode time per transfer syntax,
// display rendition time (decode, reduce, write) and size, and the AI's preprocessing (to 0.1 mm
// and to a 1024 matrix). Medians of a few repetitions; no assertions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeFrame } from '../../main/dicom/pixels/decode.ts';
import { prepareModelInput } from '../../main/dicom/pixels/model-input.ts';
import { makeDisplayRendition, reduceFrame } from '../../main/dicom/pixels/rendition.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import type { TransferSyntaxName } from '../../main/synth/plan.ts';

const REPEAT = Number(process.env.BENCH_PIXELS_REPEAT ?? 5);

async function median(times: number, run: () => Promise<unknown> | unknown): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

export async function benchPixels(): Promise<void> {
  console.log(`\nPixel pipeline, full-size 3328×2560 12-bit R-CC, median of ${REPEAT} (BENCH_PIXELS_REPEAT)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'binome-bench-pixels-'));
  try {
    // The generator's own encodings, one exam each (its worker pool keeps each codec in its own thread).
    const sources: [string, string][] = [];
    for (const syntax of ['explicit', 'jpeg-ls', 'j2k', 'htj2k'] as TransferSyntaxName[]) {
      const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed: 'bench-pixels', patients: 1, priors: 0, variants: false, size: 'full', transferSyntax: syntax }, path.join(dir, syntax));
      sources.push([syntax, demo.dicomFiles.find((f) => f.endsWith('RCC.dcm'))!]);
    }
    // dcmtk's encodings of the same image, where dcmtk is installed.
    const native = sources[0]![1];
    for (const [name, tool, ...args] of [['jpeg-lossless-sv1', 'dcmcjpeg', '--encode-lossless-sv1'], ['rle', 'dcmcrle'], ['jpeg-extended-12bit (lossy)', 'dcmcjpeg', '--encode-extended']]) {
      const out = path.join(dir, `${name}.dcm`);
      if (spawnSync(tool!, [...args, native, out]).status === 0) sources.push([name!, out]);
    }

    console.log('  decode (first call includes loading the codec)');
    for (const [name, file] of sources) {
      const first = await median(1, () => decodeFrame(file));
      const ms = await median(REPEAT, () => decodeFrame(file));
      console.log(`    ${name.padEnd(28)} ${fmt(ms)}   (first ${fmt(first).trim()}, ${(fs.statSync(file).size / 1048576).toFixed(1)} MB)`);
    }

    console.log('  display rendition: decode + reduce (area averaging) + write = total, size');
    for (const maxSide of [1024, 1536]) {
      for (const [name, file] of sources.slice(0, 4)) {
        const frame = await decodeFrame(file);
        const scale = Math.max(frame.header.rows, frame.header.columns) / maxSide;
        const columns = Math.round(frame.header.columns / scale), rows = Math.round(frame.header.rows / scale);
        const decode = await median(REPEAT, () => decodeFrame(file));
        const reduce = await median(REPEAT, () => reduceFrame(frame.pixels, frame.header, columns, rows));
        let bytes = 0;
        const total = await median(REPEAT, async () => { bytes = (await makeDisplayRendition(file, { maxSide }))!.length; });
        console.log(`    ${String(maxSide).padStart(4)} ${name.padEnd(10)} ${fmt(decode)} + ${fmt(reduce)} + ${fmt(Math.max(0, total - decode - reduce))} = ${fmt(total)}   ${columns}×${rows}, ${(bytes / 1048576).toFixed(2)} MB`);
      }
    }

    console.log('  AI preprocessing (VOI, orientation, crop, resample), after decode');
    const frame = await decodeFrame(native);
    for (const [label, options] of [
      ['to 0.1 mm', { chestWall: 'left', pixelSizeMm: 0.1 }],
      ['to a 1024×1024 matrix', { chestWall: 'left', size: { width: 1024, height: 1024 } }],
      ['to 0.1 mm, no crop', { chestWall: 'left', pixelSizeMm: 0.1, crop: false }],
    ] as const) {
      let size = '';
      const ms = await median(REPEAT, () => { const m = prepareModelInput(frame, options); size = `${m.width}×${m.height}`; });
      console.log(`    ${label.padEnd(28)} ${fmt(ms)}   → ${size}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
