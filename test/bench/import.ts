// Import throughput on full-size mammograms, against a plain `cp -r` of the same folder run in the
// same process tree, and header parsing rate.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { StationService } from '../../main/service/station.ts';
import { parseDicom } from '../../main/dicom/parse.ts';
import { parseFileHeader } from '../../main/dicom/read-header.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';

function seconds(f: () => void): number {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}

export async function benchImport(exams = 8): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'binome-bench-import-'));
  const source = path.join(base, 'source');
  // Full-size detector matrix (3328 × 2560, 16-bit): about 17 MB per image.
  writeScreeningExams(source, exams, { rows: 3328, columns: 2560, seed: 'bench' });
  const files = fs.readdirSync(source, { recursive: true }).map((f) => path.join(source, String(f))).filter((f) => f.endsWith('.dcm'));
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const mb = bytes / 1048576;

  const rounds = 5;
  const copyTimes: number[] = [];
  const importTimes: number[] = [];
  // Each timed run starts with no dirty pages waiting to be written (sync), so that neither pays
  // for the other's writeback; the source stays in the page cache for both, as for a re-import.
  const settle = () => spawnSync('sync');
  for (let r = 0; r < rounds; r++) {
    settle();
    const copyTarget = path.join(base, `copy-${r}`);
    copyTimes.push(seconds(() => {
      const c = spawnSync('cp', ['-r', source, copyTarget]);
      if (c.status !== 0) throw new Error('cp failed');
    }));
    fs.rmSync(copyTarget, { recursive: true, force: true });
    settle();
    const library = path.join(base, `library-${r}`);
    const station = new StationService({ libraryDir: library, version: 'bench', runtime: 'node' });
    const t = performance.now();
    const summary = await station.handlers.importPaths({ paths: [source] });
    importTimes.push((performance.now() - t) / 1000);
    if (summary.imported !== files.length) throw new Error(`imported ${summary.imported} of ${files.length}`);
    await station.close();
    fs.rmSync(library, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const copy = median(copyTimes);
  const imp = median(importTimes);
  console.log(`\nImport of ${files.length} full-size mammograms (3328×2560, ${mb.toFixed(0)} MB), median of ${rounds} alternating runs`);
  console.log(`  runs (s): cp ${copyTimes.map((t) => t.toFixed(2)).join(' ')} | import ${importTimes.map((t) => t.toFixed(2)).join(' ')}`);
  console.log(`  cp -r:   ${copy.toFixed(2)} s  (${(files.length / copy).toFixed(0)} images/s, ${(mb / copy).toFixed(0)} MB/s)`);
  console.log(`  import:  ${imp.toFixed(2)} s  (${(files.length / imp).toFixed(0)} images/s, ${(mb / imp).toFixed(0)} MB/s)`);
  console.log(`  import / cp = ${(imp / copy).toFixed(2)}×  (goal ≤ 1.25×)`);

  // Header parsing: the whole parse that import does per file (data already in memory).
  const headerFiles = files.slice(0, Math.min(files.length, 8)).map((f) => fs.readFileSync(f));
  const n = 4000;
  const parseSeconds = seconds(() => { for (let i = 0; i < n; i++) parseDicom(headerFiles[i % headerFiles.length]!); });
  console.log(`  header parsing, file already in memory: ${(n / parseSeconds).toFixed(0)} files/s (goal ≥ 2,000)`);
  const fromDisk = performance.now();
  const m = 2000;
  for (let i = 0; i < m; i++) await parseFileHeader(files[i % files.length]!);
  console.log(`  header parsing from the file (open, read the first 16 KiB, parse, close): ${(m / ((performance.now() - fromDisk) / 1000)).toFixed(0)} files/s`);
  const dcmdump = spawnSync('which', ['dcmdump']).status === 0;
  if (dcmdump) {
    const sample = files.slice(0, 8);
    const s = seconds(() => { for (const f of sample) spawnSync('dcmdump', ['-q', '+P', '0010,0010', f]); });
    console.log(`  dcmdump, same files, same machine: ${(sample.length / s).toFixed(0)} files/s`);
  }
  fs.rmSync(base, { recursive: true, force: true });
}
