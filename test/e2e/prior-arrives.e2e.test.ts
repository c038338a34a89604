// A prior that arrives while the reader has the exam open from somewhere other than the PACS search:
// here `binome import` (or a modality's C-STORE to `binome receive`) in another process of the
// library, stood in for by a second StationService on the same folder (events do not cross
// processes). The open viewer is told within seconds, does not re-hang under the reader's eyes,
// offers the prior with its date, and shows it when asked; looking for it is not audited as an opening.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startLoopbackHost } from '../../main/transport/http.ts';
import type { LoopbackHost } from '../../main/transport/http.ts';
import { StationService } from '../../main/service/station.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { launchChromium, SKIP_NO_CHROMIUM } from '../helpers/browser.ts';
import { makeMammoFile } from '../helpers/mammo-files.ts';
import { derivedUid } from '../../main/dicom/uid.ts';
import { parseOperationInput } from '../../common/api.ts';

const RENDERER = path.join(ROOT, 'app', 'dist', 'renderer');
const SKIP = SKIP_NO_CHROMIUM || (fs.existsSync(path.join(RENDERER, 'index.html')) ? false : 'the renderer is not built (node scripts/build.mjs --renderer-only)');

const PATIENT = 'ARRIVE01';
const examFiles = (studyDate: string) => {
  const studyUid = derivedUid('prior-arrives-e2e', studyDate);
  let n = 1;
  const dir = tempDir(`prior-arrives-${studyDate}`);
  return (['CC', 'MLO'] as const).flatMap((view) => (['R', 'L'] as const).map((laterality) => {
    const file = path.join(dir, `${view}-${laterality}.dcm`);
    fs.writeFileSync(file, makeMammoFile({ patientId: PATIENT, patientName: 'ARRIVE^BEA', studyUid, studyDate, laterality, view, instanceNumber: n++ }));
    return file;
  }));
};

const library = tempDir('prior-arrives-library');
let station: StationService;
let host: LoopbackHost;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (SKIP) return;
  station = new StationService({ libraryDir: library, version: 'test', runtime: 'node', renditions: false });
  assert.equal((await station.handlers.importPaths(parseOperationInput('importPaths', { paths: examFiles('20260110') }))).imported, 4);
  host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
  browser = await launchChromium({ width: 1400, height: 1000 });
  page = browser.pages()[0] ?? await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  await browser?.close();
  await host?.close();
  await station?.close();
});

test('a prior imported by another process while the exam is open is offered with its date, then shown when the reader asks', { skip: SKIP, timeout: 180_000 }, async () => {
  const examId = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).rows[0]!.examId;
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=exam-row]');
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, examId);
  await page.waitForSelector('[data-testid=exam-page][data-step-rendered=true]', { timeout: 60_000 });
  assert.equal(await page.$('[data-testid=prior-arrived]'), null, 'nothing offered before anything came');
  const openingsBefore = station.db.audit.trail(examId).length;

  // another process of the library imports her exam of two years before
  const other = new StationService({ libraryDir: library, version: 'test', runtime: 'node', renditions: false });
  try {
    assert.equal((await other.handlers.importPaths(parseOperationInput('importPaths', { paths: examFiles('20240108') }))).imported, 4);
  } finally {
    await other.close();
  }
  await page.waitForSelector('[data-testid=prior-arrived-show]', { timeout: 30_000 });
  assert.match(await page.textContent('[data-testid=prior-arrived]') ?? '', /Prior exam of 2024-01-08 received/);
  assert.equal(await page.$$eval('[data-testid=viewport]', (v) => v.length), 4, 'the steps did not change under the reader');
  assert.equal(await page.$('[data-testid=viewport][data-slot=prior]'), null, 'no prior hung in by itself');
  assert.equal(station.db.audit.trail(examId).length, openingsBefore, 'looking for what arrived is not audited as an opening');

  await page.click('[data-testid=prior-arrived-show]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=prior-arrived]'));
  // on the first step that shows it, without a key (it went to the first step, the current views alone: a probe)
  const label = await page.waitForSelector('[data-testid=prior-label]', { timeout: 60_000 }).then((e) => e.textContent()).catch(() => null);
  assert.match(label ?? '', /2024/, `a prior image is shown, labelled with its date: ${label}`);
  assert.equal(await page.$('[data-testid=prior-arrived]'), null, 'nothing more to offer');

  // then an older one (her exam of four years before): offered as older than the one shown, since
  // showing it replaces that comparison (it read as a newer prior, a probe)
  const third = new StationService({ libraryDir: library, version: 'test', runtime: 'node', renditions: false });
  try {
    assert.equal((await third.handlers.importPaths(parseOperationInput('importPaths', { paths: examFiles('20220105') }))).imported, 4);
  } finally {
    await third.close();
  }
  await page.waitForSelector('[data-testid=prior-arrived][data-older=true]', { timeout: 30_000 });
  assert.equal(await page.textContent('[data-testid=prior-arrived]'), 'Older prior exam of 2022-01-05 received (the one shown is of 2024-01-08) Show the prior exam');
  assert.match(await page.getAttribute('[data-testid=prior-arrived-show]', 'title') ?? '', /instead of the prior of 2024-01-08/);
  assert.deepEqual(pageErrors, []);
});
