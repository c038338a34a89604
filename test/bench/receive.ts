// The storage SCP against its peers (npm run bench -- receive): 200 full-size mammograms
// (3328 × 2560, 16-bit; synthetic, from the project's generator, cached between runs) sent by dcmtk's
// storescu over one association, uncompressed and JPEG-LS, to `binome receive` (files flushed to
// disk before each C-STORE response), dcmtk's storescp (which does not flush) and Orthanc (which
// fsyncs each file: SyncStorageArea, its default since 1.7.4), one after the other in the same
// run, every program with TCP_NODELAY=1 in its environment. Prints images/s and MB/s for each, the
// receiver's CPU time per image, Binome's time until the last exam is in the worklist, the disk's own
// rate of durable writes (each file written, then flushed), and the ratios on the last line.
//
// A fourth receiver, the "sink" (storescp --ignore: it negotiates, receives every byte and answers,
// but writes nothing), measures the ceiling that storescu and the loopback set for any receiver on
// this machine: a goal stated as a ratio to Orthanc cannot be met where the sink itself is under it.
//
// Every receiver writes into space the disk has not just freed: on the virtual disks of these
// machines, blocks freed a moment ago are written about 4 times faster than fresh ones for some
// seconds (measured: 11 against 48 ms per 16 MB file flushed; 20 s later, 48 again), which would
// favour whoever runs after a deletion. So nothing written in a round is removed before it ends
// (about 14 GB), the next round starts 30 s after the removal, and each round measures the disk's
// own rate first, on fresh space too. The machines these figures come from are noisy (the same
// receiver's rate and CPU time per image vary by 2× from one run to the next): BINOME_BENCH_ROUNDS
// rounds (3), the receivers in a rotated order each, and the medians sum it up.
//
// Orthanc listens on every network interface whatever its configuration says, so it runs only
// inside a private network namespace: the benchmark re-runs itself under `unshare -n` (root only)
// with its loopback up, and leaves Orthanc out, saying why, where that is not possible.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeDemoExams } from '../../main/service/demo.ts';
import type { TransferSyntaxName } from '../../main/service/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/service/demo.ts';
import { freePort, listening } from '../helpers/ports.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SEED = 'scpbench';
const PATIENTS = 50; // 4 views each: 200 images
const SYNTAXES: { name: TransferSyntaxName; label: string; storescuArgs: string[]; storescpArgs: string[] }[] = [
  { name: 'explicit', label: 'uncompressed', storescuArgs: [], storescpArgs: [] },
  // storescu proposes JPEG-LS lossless (and the uncompressed syntaxes) only with -xt; storescp prefers it with +xt
  { name: 'jpeg-ls', label: 'JPEG-LS', storescuArgs: ['-xt'], storescpArgs: ['+xt'] },
];
const ENV = { ...process.env, TCP_NODELAY: '1' };
/** How long the blocks freed by a round are left alone before the next (see the file's comment). */
const COOL_DOWN_MS = 30_000;

interface Row { syntax: string; receiver: string; seconds: number; images: number; bytes: number; cpuMs: number | null; visibleAfter: number | null }

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0;

/** The 200 files of one transfer syntax, generated once into the system's temporary folder. */
async function dataset(syntax: TransferSyntaxName): Promise<{ files: string[]; bytes: number }> {
  const dir = path.join(process.env.BENCH_RECEIVE_DATA ?? path.join(os.tmpdir(), 'binome-bench-receive'), `${syntax}-${SEED}-${PATIENTS}`);
  if (!fs.existsSync(path.join(dir, 'demo.json'))) {
    console.log(`  generating ${PATIENTS * 4} full-size ${syntax} images into ${dir} (once; several minutes on 2 cores)`);
    fs.rmSync(dir, { recursive: true, force: true });
    await writeDemoExams({ ...DEFAULT_DEMO_OPTIONS, patients: PATIENTS, priors: 0, size: 'full', variants: false, seed: SEED, transferSyntax: syntax }, dir);
  }
  const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.dcm')).sort().map((f) => path.join(dir, f));
  let bytes = 0;
  // read once, so that every receiver is sent from the page cache alike
  for (const f of files) bytes += fs.readFileSync(f).length;
  return { files, bytes };
}


/** CPU time (user + system, every thread) a process has used so far, in ms; null where /proc cannot tell. */
function cpuMs(pid: number | undefined): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => { child.once('close', () => resolve()); child.kill(signal); });
}

async function storescu(port: number, calledAe: string, files: string[], extra: string[]): Promise<number> {
  const started = performance.now();
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('storescu', ['-aet', 'BENCH', '-aec', calledAe, ...extra, '127.0.0.1', String(port), ...files], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('close', (code) => resolve({ code, out }));
  });
  const seconds = (performance.now() - started) / 1000;
  if (r.code !== 0 || /^E:/m.test(r.out)) throw new Error(`storescu to ${calledAe} failed: ${r.out.split('\n').filter((l) => l.startsWith('E:') || l.startsWith('F:')).slice(0, 3).join(' / ')}`);
  return seconds;
}

/** `binome receive` in a process of its own, as a station runs it. */
async function runBinome(files: string[], extra: string[], work: string): Promise<Omit<Row, 'syntax' | 'receiver' | 'bytes'>> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'binome.js'), 'receive', '--library', path.join(work, 'library'), '--port', String(port), '--aet', 'BINOME', '--allow', 'BENCH'],
    { env: { ...ENV, BINOME_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await listening(port, 60_000);
    const cpuBefore = cpuMs(child.pid);
    const started = performance.now();
    const seconds = await storescu(port, 'BINOME', files, extra);
    const cpuAfter = cpuMs(child.pid);
    // every image imported, its exam in the worklist: the association's line says so
    while (!/association \d+ .* released: (\d+) received .*?, (\d+) imported/.test(out)) {
      if (child.exitCode !== null) throw new Error(`binome receive ended: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const visibleAfter = (performance.now() - started) / 1000;
    const [, received, imported] = out.match(/released: (\d+) received .*?, (\d+) imported/)!;
    if (Number(received) !== files.length || Number(imported) !== files.length) throw new Error(`binome received ${received} and imported ${imported} of ${files.length}`);
    return { seconds, images: files.length, cpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null, visibleAfter };
  } finally {
    await stop(child, 'SIGINT');
  }
}

/** dcmtk's storescp; as the sink (`--ignore`), it receives every image and writes none. */
async function runStorescp(files: string[], scuArgs: string[], extra: string[], work: string, sink = false): Promise<Omit<Row, 'syntax' | 'receiver' | 'bytes'>> {
  const port = await freePort();
  const out = path.join(work, 'storescp');
  fs.mkdirSync(out, { recursive: true });
  const child = spawn('storescp', ['-od', out, '-aet', 'STORESCP', ...(sink ? ['--ignore'] : []), ...extra, String(port)], { env: ENV, stdio: 'ignore' });
  try {
    await listening(port, 60_000);
    const cpuBefore = cpuMs(child.pid);
    const seconds = await storescu(port, 'STORESCP', files, scuArgs);
    const cpuAfter = cpuMs(child.pid);
    const stored = fs.readdirSync(out).length;
    if (stored !== (sink ? 0 : files.length)) throw new Error(`storescp${sink ? ' --ignore' : ''} stored ${stored} of ${files.length}`);
    return { seconds, images: files.length, cpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null, visibleAfter: null };
  } finally {
    await stop(child);
  }
}

async function runOrthanc(files: string[], scuArgs: string[], work: string): Promise<Omit<Row, 'syntax' | 'receiver' | 'bytes'>> {
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const dir = path.join(work, 'orthanc');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify({
    Name: 'BinomeBench', StorageDirectory: path.join(dir, 'storage'), IndexDirectory: path.join(dir, 'index'),
    DicomAet: 'ORTHANC', DicomPort: dicomPort, HttpPort: httpPort, RemoteAccessAllowed: false, AuthenticationEnabled: false,
    DicomCheckCalledAet: true, DicomAlwaysAllowStore: true, Plugins: [], StorageCompression: false,
  }));
  const child = spawn('Orthanc', [path.join(dir, 'orthanc.json')], { env: ENV, stdio: 'ignore' });
  try {
    await listening(dicomPort, 60_000);
    const cpuBefore = cpuMs(child.pid);
    const seconds = await storescu(dicomPort, 'ORTHANC', files, scuArgs);
    const cpuAfter = cpuMs(child.pid);
    const stats = await (await fetch(`http://127.0.0.1:${httpPort}/statistics`)).json() as { CountInstances: number };
    if (stats.CountInstances !== files.length) throw new Error(`Orthanc stored ${stats.CountInstances} of ${files.length}`);
    return { seconds, images: files.length, cpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null, visibleAfter: null };
  } finally {
    await stop(child);
  }
}

/**
 * The disk's rate of durable writes: 20 files of one image's size, each written and then flushed
 * (fdatasync), into fresh space. Not a ceiling: a receiver that flushes as the data arrives keeps
 * the disk writing while the network delivers. The files stay until the round ends.
 */
function durableWriteRate(dir: string, size: number): number {
  fs.mkdirSync(dir, { recursive: true });
  const buffer = Buffer.alloc(size, 0x5a);
  const started = performance.now();
  for (let i = 0; i < 20; i++) {
    const fd = fs.openSync(path.join(dir, `probe-${i}`), 'w');
    fs.writeSync(fd, buffer);
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
  }
  return (20 * size) / ((performance.now() - started) / 1000);
}

/** Bytes free for an unprivileged writer in the file system that holds `dir`. */
function freeBytes(dir: string): number {
  const stats = fs.statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** Whether this process may make a private network namespace (root, or a user namespace allowed). */
function canUnshare(): boolean {
  return has('unshare', '--help') && has('ip', '-V') && spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

export async function benchReceive(): Promise<void> {
  const header = () => console.log('\nReceive (storage SCP) — 200 full-size mammograms over one association from dcmtk\'s storescu (TCP_NODELAY=1)');
  if (!has('storescu')) { header(); console.log('  skipped: dcmtk\'s storescu is not installed (apt-get install dcmtk)'); return; }
  let orthanc: 'yes' | string = has('Orthanc') ? 'yes' : 'Orthanc is not installed (apt-get install orthanc)';
  if (orthanc === 'yes' && !process.env.BINOME_BENCH_NETNS) {
    if (canUnshare()) {
      console.log('\n(the receive benchmark runs in a private network namespace, so that Orthanc, which listens on every interface, is reachable from it only)');
      const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, path.join(ROOT, 'bin', 'tsx.js'), path.join(ROOT, 'test', 'bench', 'run.ts'), 'receive'],
        { stdio: 'inherit', env: { ...process.env, BINOME_BENCH_NETNS: '1', BINOME_BENCH_QUIET_HEADER: '1' } });
      if (r.status !== 0) console.log(`  the benchmark in its namespace failed (exit ${r.status})`);
      return;
    }
    orthanc = 'Orthanc listens on every network interface, and no private network namespace can be made here (unshare -n needs root)';
  }
  header();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'binome-bench-rx-'));
  const rows: Row[] = [];
  const diskRates: { syntax: string; rate: number }[] = [];
  const rounds = Math.max(1, Number(process.env.BINOME_BENCH_ROUNDS ?? 3));
  type Run = () => Promise<Omit<Row, 'syntax' | 'receiver' | 'bytes'>>;
  try {
    const datasets = [];
    // BINOME_BENCH_SYNTAXES=jpeg-ls: only those transfer syntaxes (a quicker look while tuning)
    const syntaxes = process.env.BINOME_BENCH_SYNTAXES?.split(',');
    for (const syntax of SYNTAXES.filter((s) => !syntaxes || syntaxes.includes(s.name))) datasets.push({ syntax, ...(await dataset(syntax.name)) });
    // a round's files are kept until it ends, so that no receiver writes where another's were just removed
    const keepAll = freeBytes(base) > datasets.reduce((sum, d) => sum + d.bytes, 0) * 3.5;
    if (!keepAll) console.log('  (too little free disk space to keep a round\'s files until it ends: they are removed as it goes, which favours the receivers that run after a removal)');
    console.log(`  ${rounds} round(s), the receivers in a different order each time; the figures are each receiver's median`);
    for (let round = 0; round < rounds; round++) {
      const work = path.join(base, `round-${round + 1}`);
      if (round > 0) {
        fs.rmSync(path.join(base, `round-${round}`), { recursive: true, force: true });
        spawnSync('sync');
        await new Promise((r) => setTimeout(r, COOL_DOWN_MS)); // the blocks just freed cool down (see the file's comment)
      }
      // the disk's own rate first, on fresh space, for each syntax's image size
      for (const { syntax, files, bytes } of datasets) {
        const imageSize = Math.round(bytes / files.length);
        diskRates.push({ syntax: syntax.label, rate: durableWriteRate(path.join(work, `disk-${syntax.name}`), imageSize) / imageSize });
      }
      for (const { syntax, files, bytes } of datasets) {
        const receivers: [string, Run][] = [
          ['binome', () => runBinome(files, syntax.storescuArgs, path.join(work, `binome-${syntax.name}`))],
          ['storescp', () => runStorescp(files, syntax.storescuArgs, syntax.storescpArgs, path.join(work, `storescp-${syntax.name}`))],
          ...(orthanc === 'yes' ? [['orthanc', () => runOrthanc(files, syntax.storescuArgs, path.join(work, `orthanc-${syntax.name}`))] as [string, Run]] : []),
          ['sink', () => runStorescp(files, syntax.storescuArgs, syntax.storescpArgs, path.join(work, `sink-${syntax.name}`), true)],
        ];
        // BINOME_BENCH_RECEIVERS=binome,storescp: only those (a quicker look while tuning)
        const only = process.env.BINOME_BENCH_RECEIVERS?.split(',');
        const chosen = receivers.filter(([name]) => !only || only.includes(name));
        const order = chosen.map((_, i) => chosen[(i + round) % chosen.length]!);
        for (const [receiver, run] of order) {
          spawnSync('sync'); // no receiver pays for the one before's write-back
          try {
            const row = { syntax: syntax.label, receiver, bytes, ...(await run()) };
            rows.push(row);
            const rate = row.images / row.seconds;
            console.log(`  ${`round ${round + 1}`.padEnd(8)} ${syntax.label.padEnd(13)} ${receiver.padEnd(10)} ${row.images} images in ${row.seconds.toFixed(2).padStart(6)} s: ${rate.toFixed(1).padStart(5)} images/s, ` +
              `${(row.bytes / 1048576 / row.seconds).toFixed(0).padStart(4)} MB/s` +
              `${row.cpuMs !== null ? `, receiver CPU ${(row.cpuMs / row.images).toFixed(0)} ms/image` : ''}` +
              `${row.visibleAfter !== null ? `; all in the worklist after ${row.visibleAfter.toFixed(2)} s` : ''}` +
              `${{ binome: ' (durable: fdatasync before each response)', storescp: ' (not flushed)', orthanc: ' (fsync on write)', sink: ' (storescp --ignore: writes nothing)' }[receiver] ?? ''}`);
          } catch (error) {
            console.log(`  ${`round ${round + 1}`.padEnd(8)} ${syntax.label.padEnd(13)} ${receiver.padEnd(10)} failed: ${(error as Error).message}`);
          }
          if (!keepAll) fs.rmSync(path.join(work, `${receiver}-${syntax.name}`), { recursive: true, force: true });
        }
      }
    }
    if (orthanc !== 'yes') console.log(`  Orthanc left out: ${orthanc}`);
    const median = (values: number[]) => { const v = [...values].sort((a, b) => a - b); return v.length ? (v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2) : null; };
    const rate = (syntax: string, receiver: string) => median(rows.filter((x) => x.syntax === syntax && x.receiver === receiver).map((r) => r.images / r.seconds));
    for (const { label } of datasets.map((d) => d.syntax)) {
      const diskRate = median(diskRates.filter((c) => c.syntax === label).map((c) => c.rate))!;
      const figures = ['binome', 'storescp', 'orthanc', 'sink'].map((r) => [r, rate(label, r)] as const).filter(([, v]) => v !== null);
      console.log(`  ${label.padEnd(13)} medians: ${figures.map(([r, v]) => `${r} ${v!.toFixed(1)}`).join(', ')} images/s; ` +
        `the disk alone, each image's bytes written to a new file and then flushed (fdatasync), one file after another: ${diskRate.toFixed(1)} images/s`);
    }
    const parts = datasets.map((d) => d.syntax).map(({ label }) => {
      const b = rate(label, 'binome');
      if (b === null) return `${label}: no figure`;
      const s = rate(label, 'storescp');
      const o = rate(label, 'orthanc');
      const sink = rate(label, 'sink');
      const diskRate = median(diskRates.filter((c) => c.syntax === label).map((c) => c.rate))!;
      return `${label} ${b.toFixed(1)} images/s = ${s ? `${(b / s).toFixed(2)}× storescp (${s.toFixed(1)}, not flushed)` : 'storescp: no figure'}, ` +
        `${o ? `${(b / o).toFixed(2)}× Orthanc (${o.toFixed(1)})` : 'Orthanc: no figure'}, ${(b / diskRate).toFixed(2)}× the disk's write-then-flush rate (${diskRate.toFixed(1)})` +
        `${sink ? `, ${(b / sink).toFixed(2)}× a receiver that writes nothing (${sink.toFixed(1)}${o ? `: at most ${(sink / o).toFixed(2)}× Orthanc for any receiver here` : ''})` : ''}`;
    });
    console.log(`receive: Binome (durable) ${parts.join('; ')} — goal ≥ 1× storescp, ≥ 3× Orthanc`);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
