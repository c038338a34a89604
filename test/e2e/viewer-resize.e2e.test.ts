// The viewer at a smaller window, with the AI strip filling in above the images (a second line at
// 1000 px) while a step's images load: every image is where its placement puts it (breasts meeting
// at the seam, MLOs at the top, CCs in the middle of their places), on the exam opened next after
// a resize (the one hung ahead, the next row of the worklist) and on a fresh open at that size.
// A probe saw every image off the seam until the reset key (Escape) put it back: the images were
// placed for their places' new size in Cornerstone's canvas of the old size, and the relayout that
// followed kept that error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { StationService } from '../../main/service/station.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import { holdRequests } from '../helpers/browser.ts';
import { tempDir } from '../helpers/paths.ts';
import { openTestStation } from '../helpers/station.ts';
import { openStationPage, SKIP_NO_BROWSER_OR_RENDERER as SKIP } from '../helpers/station-page.ts';
import type { StationPage } from '../helpers/station-page.ts';
import { writeTinyModel } from '../helpers/onnx-models.ts';

let station: StationService;
let opened: StationPage;
let page: Page;

before(async () => {
  if (SKIP) return;
  const out = tempDir('viewer-resize');
  await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: 3, priors: 1, size: 'reduced', seed: 'gap-2026-12-03a' }, out);
  // an AI model: its strip above the images, two lines at 1000 px, fills in after the step's viewports are enabled
  const models = tempDir('viewer-resize-models');
  writeTinyModel(models, undefined, { classes: 2 });
  station = openTestStation({ renditions: true, modelRoots: [models] });
  const summary = await station.handlers.importPaths({ paths: [out] });
  assert.equal(summary.rejected, 0, JSON.stringify(summary.problems));
  opened = await openStationPage(station, { width: 1920, height: 1080 });
  page = opened.page;
  await page.waitForSelector('[data-testid=exam-row]');
});
after(async () => {
  await opened?.close();
  await station?.close();
});

async function waitForStep(examId: number): Promise<void> {
  await page.waitForFunction((id) => {
    const root = document.querySelector<HTMLElement>('[data-testid=exam-page]');
    if (!root || root.dataset.examId !== String(id) || root.dataset.stepRendered !== 'true') return false;
    return [...document.querySelectorAll<HTMLElement>('[data-testid=viewport]')].every((v) => (v.dataset.rendered === 'true' && v.dataset.resolution === 'full') || v.dataset.error);
  }, examId, { timeout: 90_000 });
  // the AI strip filled in, and the relayout after it made
  await page.waitForSelector('[data-testid=exam-page] [data-testid=ai-panel]', { timeout: 30_000 });
  await page.waitForTimeout(600);
}

interface Drawn { place: string; chestWall: string; left: number; right: number; top: number; bottom: number }

/** Where each image of the step on screen is drawn, from its canvas pixels: the dark columns and rows (CSS pixels) between it and each edge of its place. */
async function drawn(): Promise<Drawn[]> {
  return page.$$eval('[data-testid=viewport]', (vs) => vs.map((v) => {
    const canvas = v.querySelector('canvas')!;
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const columns = new Array<number>(width).fill(0);
    const rows = new Array<number>(height).fill(0);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const value = data[(y * width + x) * 4]!;
      columns[x]! += value / height;
      rows[y]! += value / width;
    }
    const ratio = width / canvas.clientWidth;
    return {
      place: (v as HTMLElement).dataset.place!, chestWall: (v as HTMLElement).dataset.chestWall ?? '',
      left: columns.findIndex((m) => m > 4) / ratio, right: [...columns].reverse().findIndex((m) => m > 4) / ratio,
      top: rows.findIndex((m) => m > 4) / ratio, bottom: [...rows].reverse().findIndex((m) => m > 4) / ratio,
    };
  }));
}

const say = (d: Drawn[]) => d.map((x) => `${x.place}: left ${x.left.toFixed(1)}, right ${x.right.toFixed(1)}, top ${x.top.toFixed(1)}, bottom ${x.bottom.toFixed(1)}`).join('; ');

/** Each image against its chest wall (and an MLO at the top), and drawn where its placement puts it: the reset key moves nothing. */
async function assertPlaced(when: string): Promise<void> {
  const before = await drawn();
  assert.ok(before.length >= 2, `${when}: ${say(before)}`);
  for (const d of before) {
    const gap = d.chestWall === 'right' ? d.right : d.left;
    assert.ok(gap < 2, `${when}: ${d.place}'s chest wall ${gap.toFixed(1)} px from the seam (${say(before)})`);
    if (d.place.includes('MLO')) assert.ok(d.top < 2, `${when}: ${d.place}'s top ${d.top.toFixed(1)} px from the top of its place (${say(before)})`);
  }
  await page.keyboard.press('Escape');
  await page.waitForTimeout(300);
  const reset = await drawn();
  for (const [n, d] of before.entries()) {
    const r = reset[n]!;
    const moved = Math.max(...(['left', 'right', 'top', 'bottom'] as const).map((k) => Math.abs(d[k] - r[k])));
    assert.ok(moved < 2, `${when}: ${d.place} moved ${moved.toFixed(1)} px on the reset key, off its placement before it (before: ${say(before)}; after: ${say(reset)})`);
  }
}

test('after a window resize, the exam opened next, and the same exam opened afresh at that size, have every image where its placement puts it (the AI strip filling in above meanwhile)', { skip: SKIP }, async () => {
  const order = await page.$$eval('[data-testid=exam-row]', (rs) => rs.map((r) => Number(r.getAttribute('data-exam-id'))));
  const [first, next] = [order[0]!, order[1]!];
  // an exam with a prior (many steps), at its third step, the next exam's first step prepared out of sight meanwhile
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, first);
  await waitForStep(first);
  for (let n = 0; n < 2; n++) {
    await page.keyboard.press('Space');
    await waitForStep(first);
  }
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.prefetch === 'done', undefined, { timeout: 60_000 });
  await page.setViewportSize({ width: 1000, height: 700 });
  await page.waitForTimeout(500);
  // back to the worklist, and the next row
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('[data-testid=exam-row]');
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, next);
  await waitForStep(next);
  await assertPlaced('the exam opened next after the resize');
  // the same exam opened afresh at this size
  await page.reload();
  await waitForStep(next);
  await assertPlaced('opened afresh at 1000 × 700');
});

test('the window made narrower while an exam\'s images load: every breast still meets the seam once they are shown (they came 32 px off it)', { skip: SKIP }, async () => {
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('[data-testid=exam-row]');
  const order = await page.$$eval('[data-testid=exam-row]', (rs) => rs.map((r) => Number(r.getAttribute('data-exam-id'))));
  await page.setViewportSize({ width: 1000, height: 700 });
  await page.reload(); // no image in memory
  await page.waitForSelector('[data-testid=exam-row]');
  const examId = order[3]!;
  const images = await holdRequests(page, '**/dicom/**', { sent: 'on release' });
  try {
    await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, examId);
    // the step's viewports enabled (a canvas in each), its images not arrived yet
    await page.waitForFunction(() => {
      const vs = [...document.querySelectorAll<HTMLElement>('[data-testid=viewport]')];
      return vs.length === 4 && vs.every((v) => v.querySelector('canvas'));
    }, undefined, { timeout: 30_000 });
    await page.waitForTimeout(300);
    // each place says its image is coming (a black place said nothing)
    assert.equal(await page.locator('[data-testid=loading-image]').count(), 4);
    // 64 px narrower: each place 32 px narrower, while the images load
    await page.setViewportSize({ width: 936, height: 700 });
    await page.waitForTimeout(300);
  } finally {
    await images();
  }
  await waitForStep(examId);
  assert.equal(await page.locator('[data-testid=loading-image]').count(), 0);
  await assertPlaced('the window narrower while the images loaded');
  await page.setViewportSize({ width: 1000, height: 700 });
});

// A fault probes saw (images 7–30 px off the seam, in this sequence hundreds of pixels off or out of
// their place, in about two runs of five) and mended on 2026-12-04: not the strip's changes but the
// exam before leaving. Cornerstone 5.14's WebGL context pool shrank a context's size when the leaving
// exam's larger viewports (four places) were disabled, and left its offscreen canvas as large; the
// eight places of a prior comparison drawn next in that context were drawn across the larger canvas
// and copied from its corner (renderer/viewer/cornerstone.ts, disableViewports). Instrumented, every
// failing run (5 of 13) had drawn in a canvas larger than its context's size and no passing one had;
// mended, 14 of 14 passed with none. The cameras were right all along (the reset key, which draws
// again, put every image back). It hangs on timing: without the mend this test failed in some runs
// of some builds and in none of 11 of the final one; it stays as the sequence that showed it.
test('the exam before left and the area above the images changing while the next step waits out of sight: stepped to, every image meets the seam (probes saw images off it, or missing)', { skip: SKIP }, async () => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('[data-testid=exam-row]');
  const order = await page.$$eval('[data-testid=exam-row]', (rs) => rs.map((r) => Number(r.getAttribute('data-exam-id'))));
  // exams with a prior (a step of eight places after one of four), the first again at the end
  for (const examId of [order[0]!, order[2]!, order[0]!]) {
    await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, examId);
    await waitForStep(examId);
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.prefetch === 'done', undefined, { timeout: 60_000 });
    // the AI strip a line taller (a first impression recorded, a longer sentence), then shorter, as the reader reads on
    for (const extra of [13, 0, 27]) {
      await page.evaluate((px) => { document.querySelector<HTMLElement>('[data-testid=ai-panel]')!.style.paddingBottom = `${px}px`; }, extra);
      await page.waitForTimeout(150);
    }
    await page.waitForTimeout(400);
    await page.keyboard.press('Space');
    await waitForStep(examId);
    await assertPlaced(`exam ${examId}: the step prepared out of sight while the strip changed height`);
    await page.evaluate(() => { document.querySelector<HTMLElement>('[data-testid=ai-panel]')!.style.paddingBottom = ''; });
  }
});

// Failed without the mend (the current row 9 px off the seam, as a probe saw at 2560 × 1440), every run.
test('a step prepared out of sight, its current images placed before the area above the images changed and its priors after: stepped to, every image meets the seam (a probe saw the current row 8 px off it)', { skip: SKIP }, async () => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('[data-testid=exam-row]');
  const examId = (await page.$$eval('[data-testid=exam-row]', (rs) => rs.map((r) => Number(r.getAttribute('data-exam-id')))))[0]!;
  const detail = await station.handlers.examDetail({ examId });
  assert.ok(detail.priors.length > 0, 'the exam has a prior');
  const own = new Set(detail.series.flatMap((s) => s.instances.map((i) => String(i.instanceId))));
  await page.reload(); // no image in memory
  await page.waitForSelector('[data-testid=exam-row]');
  // every image but the exam's own held back: the prior comparison (step 2) is prepared with its current
  // images placed and its priors still loading
  const priors = await holdRequests(page, '**/dicom/**', { sent: 'on release', only: (url) => !own.has(/\/dicom\/(\d+)/.exec(url)?.[1] ?? '') });
  try {
    await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, examId);
    await waitForStep(examId);
    // the next step's places enabled (a canvas in each), its priors asked for and held
    await page.waitForFunction(() => [...document.querySelectorAll('.stages > .grid.prepared')].some((g) => g.querySelectorAll('canvas').length >= 8), undefined, { timeout: 30_000 });
    await page.waitForTimeout(1500);
    assert.ok(priors.count > 0, 'prior images held back');
    // the strip above a line taller: the step on screen placed again (and the engine's canvases resized, the hidden step's too)
    await page.evaluate(() => { document.querySelector<HTMLElement>('[data-testid=ai-panel]')!.style.paddingBottom = '40px'; });
    await page.waitForTimeout(600);
  } finally {
    await priors();
  }
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.nextStep === 'prepared', undefined, { timeout: 60_000 });
  await page.waitForTimeout(400);
  await page.keyboard.press('Space');
  await waitForStep(examId);
  try {
    await assertPlaced('the prior comparison prepared across the change');
  } finally {
    await page.evaluate(() => { document.querySelector<HTMLElement>('[data-testid=ai-panel]')!.style.paddingBottom = ''; });
  }
});

test('the next exam opened with its key: the AI strip is there from its first frame, and the images are placed once (a probe saw the grid move 30 px a second after)', { skip: SKIP }, async () => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('[data-testid=exam-row]');
  const order = await page.$$eval('[data-testid=exam-row]', (rs) => rs.map((r) => Number(r.getAttribute('data-exam-id'))));
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, order[0]!);
  await waitForStep(order[0]!);
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.prefetch === 'done', undefined, { timeout: 60_000 });
  await page.waitForTimeout(500);
  // every frame from the key on: the exam shown, whether its strip is there, and where its images begin
  // (a script as text: a named function in a page function is compiled with a helper the page lacks)
  await page.evaluate(`(() => {
    const seen = [];
    window.__frames = seen;
    const started = performance.now();
    const look = () => {
      const id = document.querySelector('[data-testid=exam-page]')?.dataset.examId ?? '';
      const grid = document.querySelector('.stages > .grid.hanging:not(.prepared)');
      const strip = document.querySelector('[data-testid=ai-panel]') ? 'strip' : 'no strip';
      seen.push(id + '|' + strip + '|' + (grid ? Math.round(grid.getBoundingClientRect().top) : 'none'));
      if (performance.now() - started < 4000) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  })()`);
  await page.keyboard.press('PageDown');
  await waitForStep(order[1]!);
  await page.waitForTimeout(4000);
  const frames = await page.evaluate(() => (window as unknown as { __frames: string[] }).__frames);
  const next = [...new Set(frames.filter((f) => f.startsWith(`${order[1]}|`)))];
  assert.equal(next.length, 1, `the next exam's frames: ${next.join(', ')}`);
  assert.match(next[0]!, /\|strip\|\d+$/);
});
