// The station stopped under an open viewer (killed, or closed): what the reader is told. Its
// images then fail for want of an answer, which is said as such (not "its pixel data could not be
// decoded": a probe sent IT to check a library that was fine), and the next exam's request says the
// station did not answer, not the browser's "Failed to fetch".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { StationService } from '../../main/service/station.ts';
import { openTestStation } from '../helpers/station.ts';
import { openStationPage, SKIP_NO_BROWSER_OR_RENDERER as SKIP } from '../helpers/station-page.ts';
import type { StationPage } from '../helpers/station-page.ts';

let station: StationService;
let opened: StationPage;
let page: Page;

before(async () => {
  if (SKIP) return;
  station = openTestStation();
  // women with a prior: the comparison steps need the prior's images, not loaded yet when the station goes
  await station.handlers.loadDemoExams({ patients: 2, priors: 1, size: 'reduced', seed: 'station-gone' });
  opened = await openStationPage(station, { width: 1280, height: 800 });
  page = opened.page;
  await page.waitForSelector('[data-testid=exam-row]');
});
after(async () => {
  await opened?.close();
  await station?.close();
});

test('the station gone: the images it no longer serves and the next exam say it did not answer, in the reader\'s words', { skip: SKIP, timeout: 120_000 }, async () => {
  const rows = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 10 })).rows;
  const withPrior = rows.find((r) => rows.some((o) => o.patientId === r.patientId && o.studyDate! < r.studyDate!))!;
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, withPrior.examId);
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.stepRendered === 'true', undefined, { timeout: 60_000 });
  await opened.host.close();
  // the steps whose images were never fetched: each says the station did not answer
  for (let n = 0; n < 4 && !(await page.locator('[data-testid=image-error]').count()); n++) {
    await page.keyboard.press('Space');
    await page.waitForTimeout(1500);
  }
  await page.waitForSelector('[data-testid=image-error]', { timeout: 30_000 });
  assert.match(await page.locator('[data-testid=image-error]').first().textContent() ?? '', /^This image cannot be displayed: the station did not answer \(it may have stopped/);
  // the next exam: asked of the station, which does not answer
  await page.keyboard.press('PageDown');
  await page.waitForSelector('[role=alert]:has-text("The station did not answer")', { timeout: 30_000 });
  assert.equal(await page.textContent('[role=alert]:has-text("The station did not answer")'), 'The station did not answer: it may have stopped. Start it again, then reload this page.');
  assert.doesNotMatch(await page.textContent('body') ?? '', /Failed to fetch/);
  // every request the station did not answer was caught where it was made: none reached the page
  // unhandled (a probe saw two from loading the next exam ahead)
  await page.waitForTimeout(2000);
  assert.deepEqual(opened.pageErrors, []);
});
