// The viewer's speed, as a reader meets it: the loopback host in headless Chromium (WebGL through
// SwiftShader on the CPU here), full-size synthetic exams (3328×2560, 16-bit) uncompressed, JPEG-LS
// and HTJ2K. Per syntax: time from "open exam" to the 4 current views painted, to the 8 views with
// priors (opened at that step), to full resolution, one step change (images already loaded), the
// next exam prefetched, and the renderer's memory. Each figure is measured twice in the same
// process: the station as it is, and a baseline without display renditions and without prefetch
// (`renditions=0&prefetch=0`, the viewer loading only the stored images).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { parseOperationInput } from '../../common/api.ts';
import { StationService } from '../../main/service/station.ts';
import { startLoopbackHost } from '../../main/transport/http.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import type { TransferSyntaxName } from '../../main/synth/plan.ts';
import { launchChromium, CHROMIUM_PATH } from '../helpers/browser.ts';
import { ROOT } from '../helpers/paths.ts';

const RENDERER = path.join(ROOT, 'app', 'dist', 'renderer');
const SYNTAXES: TransferSyntaxName[] = ['explicit', 'jpeg-ls', 'htj2k'];

interface Figures {
  open4: number;
  full: number;
  /** Forward onto the next step (once the page says it is prepared), and back. */
  stepForward: number;
  stepBack: number;
  open8: number;
  prefetched: number | null;
  heapMb: number;
  cacheMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Waits until the step on screen is painted: of exam `examId`, or (negative) of any exam but `-examId`; a step other than `notStep`. */
async function waitStep(page: Page, examId?: number, notStep?: string, timeout = 120_000): Promise<void> {
  await page.waitForFunction(([id, not]) => {
    const root = document.querySelector<HTMLElement>('[data-testid=exam-page]');
    const shown = Number(root?.dataset.examId);
    if (!root || (id !== undefined && id !== null && (id > 0 ? shown !== id : shown === -id)) || root.dataset.stepRendered !== 'true') return false;
    if (not && document.querySelector<HTMLElement>('[data-testid=step]')?.dataset.step === not) return false;
    return [...document.querySelectorAll<HTMLElement>('[data-testid=viewport]')].every((v) => v.dataset.rendered === 'true' || v.dataset.error);
  }, [examId ?? null, notStep ?? null] as const, { timeout, polling: 'raf' });
}

const stepOnScreen = (page: Page) => page.$eval('[data-testid=step]', (e) => (e as HTMLElement).dataset.step ?? '');
const allFull = (page: Page) => page.waitForFunction(() =>
  [...document.querySelectorAll<HTMLElement>('[data-testid=viewport]')].every((v) => v.dataset.resolution === 'full'), undefined, { timeout: 180_000, polling: 100 }).then(() => undefined);

async function timed(page: Page, action: () => Promise<unknown>, until: () => Promise<void>): Promise<number> {
  const start = await page.evaluate(() => performance.now());
  await action();
  await until();
  return (await page.evaluate(() => performance.now())) - start;
}

async function measure(openUrl: string, exams: number[], query: string, prefetch: boolean): Promise<Figures> {
  const context = await launchChromium({ width: 1920, height: 1080 });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(openUrl);
    await page.waitForSelector('[data-testid=exam-row]');
    const go = (examId: number, extra = '') => page.evaluate(([id, q]) => { location.hash = `#/exam/${id}?${q}`; }, [examId, `${query}${extra}`] as const);
    // cold: a page whose decoded-image cache is empty
    const open4 = await timed(page, () => go(exams[0]!), () => waitStep(page, exams[0]));
    const full = open4 + await timed(page, async () => undefined, () => allFull(page));
    // step changes as a reader makes them, a few seconds apart: forward once the page has prepared the
    // next step (the baseline prepares nothing), then back once that step shows its stored images
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.nextStep === 'prepared', undefined, { timeout: 180_000 });
    const overview = await stepOnScreen(page);
    const stepForward = await timed(page, () => page.keyboard.press('Space'), () => waitStep(page, undefined, overview));
    const comparison = await stepOnScreen(page);
    await allFull(page);
    const stepBack = await timed(page, () => page.keyboard.press('Shift+Space'), () => waitStep(page, undefined, comparison));
    // the next exam, loaded ahead while this one was read
    let prefetched: number | null = null;
    if (prefetch) {
      await go(exams[0]!);
      await waitStep(page, exams[0]);
      await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.prefetch === 'done', undefined, { timeout: 180_000 });
      // the next exam of the worklist (whichever it is: the list holds priors and the other syntaxes' exams too)
      prefetched = await timed(page, () => page.keyboard.press('PageDown'), () => waitStep(page, -exams[0]!));
    }
    const memory = await page.evaluate(() => {
      const viewer = (window as unknown as { __binomeViewer?: { cacheBytes?: () => number } }).__binomeViewer;
      return { heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0, cache: viewer?.cacheBytes?.() ?? 0 };
    });
    // cold again, straight into the 8 images of the prior comparison
    const fresh = await context.newPage();
    await fresh.goto(openUrl);
    await fresh.waitForSelector('[data-testid=exam-row]');
    const open8 = await timed(fresh, () => fresh.evaluate(([id, q]) => { location.hash = `#/exam/${id}?step=prior-overview&${q}`; }, [exams[2]!, query] as const), () => waitStep(fresh, exams[2]));
    return { open4, full, stepForward, stepBack, open8, prefetched, heapMb: memory.heap / 1048576, cacheMb: memory.cache / 1048576 };
  } finally {
    await context.close();
  }
}

export async function benchViewer(patients = 3): Promise<void> {
  if (!CHROMIUM_PATH || !fs.existsSync(path.join(RENDERER, 'index.html'))) {
    console.log('\nViewer: skipped (needs Chromium and the built renderer: npm run build)');
    return;
  }
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'binome-bench-viewer-'));
  const station = new StationService({ libraryDir: path.join(base, 'library'), version: 'bench', runtime: 'node' });
  const host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
  try {
    const bySyntax = new Map<TransferSyntaxName, number[]>();
    for (const syntax of SYNTAXES) {
      const out = path.join(base, syntax);
      const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients, priors: 1, size: 'full', variants: false, transferSyntax: syntax, seed: `bench-viewer-${syntax}` }, out);
      await station.handlers.importPaths({ paths: [out] });
      const studyUids = new Set<string>();
      for (const f of demo.groundTruthFiles) {
        const truth = JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as { exam: { studyInstanceUid: string; isPrior: boolean } };
        if (!truth.exam.isPrior) studyUids.add(truth.exam.studyInstanceUid);
      }
      const rows = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', { limit: 500 }))).rows;
      bySyntax.set(syntax, rows.filter((r) => studyUids.has(r.studyInstanceUid)).map((r) => r.examId));
    }
    const renditionsReady = await waitForRenditions(station, 15 * 60_000);
    console.log(`\nViewer, headless Chromium (WebGL: SwiftShader), 1920×1080, full-size exams (3328×2560, 16-bit), ${os.availableParallelism()} cores` +
      `${renditionsReady ? '' : ' — display renditions were not all made in time'}`);
    console.log(`${'syntax'.padEnd(10)}${'mode'.padEnd(11)}${'4 views'.padStart(9)}${'8 views'.padStart(9)}${'full res'.padStart(10)}${'step →'.padStart(9)}${'step ←'.padStart(9)}${'next exam'.padStart(11)}${'heap MB'.padStart(9)}${'cache MB'.padStart(10)}`);
    const station4: number[] = [], station8: number[] = [], stationNext: number[] = [], stationStep: number[] = [], base4: number[] = [];
    for (const syntax of SYNTAXES) {
      const exams = bySyntax.get(syntax)!;
      for (const [mode, query, prefetch] of [['baseline', 'renditions=0&prefetch=0', false], ['station', '', true]] as const) {
        const f = await measure(host.openUrl, exams, query, prefetch);
        console.log(`${syntax.padEnd(10)}${mode.padEnd(11)}${ms(f.open4)}${ms(f.open8)}${ms(f.full, 10)}${ms(f.stepForward, 9)}${ms(f.stepBack, 9)}${f.prefetched === null ? '—'.padStart(11) : ms(f.prefetched, 11)}${f.heapMb.toFixed(0).padStart(9)}${f.cacheMb.toFixed(0).padStart(10)}`);
        if (mode === 'station') { station4.push(f.open4); station8.push(f.open8); stationNext.push(f.prefetched!); stationStep.push(Math.max(f.stepForward, f.stepBack)); } else base4.push(f.open4);
      }
    }
    console.log(`viewer: 4 views ${ms(median(station4), 0)} (target ≤ 1000 ms; baseline ${ms(median(base4), 0)}, ${(median(base4) / median(station4)).toFixed(1)}× as fast as the baseline), ` +
      `8 views ${ms(median(station8), 0)} (≤ 1500), prefetched next exam ${ms(median(stationNext), 0)} (≤ 150), step ${ms(median(stationStep), 0)} (≤ 100, the slower way) — medians over ${SYNTAXES.join(', ')}`);
  } finally {
    await host.close();
    await station.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

function ms(value: number, width = 9): string {
  return `${value.toFixed(0)} ms`.padStart(width);
}

/** Waits until every image has its display rendition (they are made on the import threads after import). */
async function waitForRenditions(station: StationService, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pending = (station.db.connection.prepare('SELECT count(*) AS n FROM instances WHERE is_image = 1 AND for_processing = 0 AND display_rendition IS NULL').get() as { n: number }).n;
    if (!pending) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}
