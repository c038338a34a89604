// A prior that arrives from the PACS while the reader has the exam open, end to end in Chromium: a
// DICOMweb server on 127.0.0.1 (a few lines of this test, answering QIDO-RS and WADO-RS as a PACS
// does) holds the woman's earlier exam. Opening her current exam searches the PACS in the background
// and fetches it; the viewer does not re-hang under the reader's eyes, it offers to show the prior,
// and shows it (the comparison protocol, the prior's date) when asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
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
const SHOTS = process.env.BINOME_SCREENSHOTS;

const PATIENT = 'PRIOR01';
const exam = (studyDate: string) => {
  const studyUid = derivedUid('pacs-priors-e2e', studyDate);
  let n = 1;
  const files = (['CC', 'MLO'] as const).flatMap((view) => (['R', 'L'] as const).map((laterality) =>
    makeMammoFile({ patientId: PATIENT, patientName: 'PRIOR^ANNE', studyUid, studyDate, laterality, view, instanceNumber: n++ })));
  return { studyUid, files };
};
const current = exam('20260110');
const prior = exam('20240108');

let pacs: http.Server;
const asked: string[] = [];
let station: StationService;
let host: LoopbackHost;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (SKIP) return;
  // the PACS: her prior, by QIDO-RS and WADO-RS
  pacs = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    asked.push(url.pathname);
    if (url.pathname === '/dicom-web/studies' && url.searchParams.get('PatientID') === PATIENT) {
      res.writeHead(200, { 'content-type': 'application/dicom+json' });
      res.end(JSON.stringify([{ '0020000D': { vr: 'UI', Value: [prior.studyUid] }, '00080020': { vr: 'DA', Value: ['20240108'] },
        '00080061': { vr: 'CS', Value: ['MG'] }, '00100020': { vr: 'LO', Value: [PATIENT] }, '00201208': { vr: 'IS', Value: [4] } }]));
    } else if (url.pathname === `/dicom-web/studies/${prior.studyUid}`) {
      const boundary = 'pacs-e2e-boundary';
      res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` });
      for (const f of prior.files) res.write(Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n')]));
      res.end(`--${boundary}--\r\n`);
    } else if (url.pathname === '/dicom-web/studies') {
      res.writeHead(204).end();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => pacs.listen(0, '127.0.0.1', resolve));
  station = new StationService({ libraryDir: tempDir('pacs-priors-e2e'), version: 'test', runtime: 'node', renditions: false, pacs: { backoff: { firstMs: 500, maxMs: 1000 }, pollMs: 500 } });
  await station.handlers.setPacsNodes(parseOperationInput('setPacsNodes', { nodes: [{ id: 'pacs', name: 'Clinic PACS',
    baseUrl: `http://127.0.0.1:${(pacs.address() as AddressInfo).port}/dicom-web`, queryPriors: true, receiveResults: false, timeoutSeconds: 5 }] }));
  const dir = tempDir('pacs-priors-current');
  const paths = current.files.map((bytes, i) => { const f = path.join(dir, `${i}.dcm`); fs.writeFileSync(f, bytes); return f; });
  assert.equal((await station.handlers.importPaths(parseOperationInput('importPaths', { paths }))).imported, 4);
  host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
  browser = await launchChromium({ width: 1400, height: 1000 });
  page = browser.pages()[0] ?? await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  await browser?.close();
  await host?.close();
  await station?.close();
  await new Promise((r) => pacs?.close(r));
});

test('a prior fetched from the PACS while the exam is open is offered, then shown when the reader asks', { skip: SKIP, timeout: 180_000 }, async () => {
  const examId = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).rows[0]!.examId;
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=exam-row]');
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, examId);
  await page.waitForFunction((id) => document.querySelector<HTMLElement>('[data-testid=exam-page]')?.dataset.examId === String(id), examId);
  // searched and fetched in the background: offered, not hung in by itself
  await page.waitForSelector('[data-testid=prior-arrived-show]', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid=pacs-priors]') ?? '', /“Clinic PACS”: 1 exam\(s\) there, 1 fetched/);
  assert.match(await page.textContent('[data-testid=prior-arrived]') ?? '', /Prior exam of 2024-01-08 received/, 'offered with its date');
  assert.ok(asked.includes(`/dicom-web/studies/${prior.studyUid}`), 'the prior was fetched by WADO-RS');
  const priorExam = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).rows.find((r) => r.studyInstanceUid === prior.studyUid);
  assert.ok(priorExam, 'the prior is in the library');
  // read where it was made: not a new exam in her reading list (the audit says the fetch did it)
  assert.equal(priorExam.status, 'read');
  assert.deepEqual(station.db.audit.trail(priorExam.examId).map((a) => [a.actor, a.action]), [['pacs-prior', 'status:read']]);
  assert.equal(await page.$$eval('[data-testid=viewport]', (v) => v.length), 4, 'the steps did not change under the reader');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'pacs-prior-offered.png') });
  await page.click('[data-testid=prior-arrived-show]');
  // hung again with the prior: a step of the comparison protocol shows her prior's images, labelled with its date
  await page.waitForFunction(() => !document.querySelector('[data-testid=prior-arrived-show]'));
  // on the first step that shows it, without a key (it went to the first step, the current views alone: a probe)
  const label = await page.waitForSelector('[data-testid=prior-label]', { timeout: 60_000 }).then((e) => e.textContent()).catch(() => null);
  assert.match(label ?? '', /2024/, `a prior image is shown, labelled with its date: ${label}`);
  assert.ok(await page.$('[data-testid=viewport][data-slot=prior]'), 'a viewport of the prior slot holds an image');
  assert.equal(await page.$('[data-testid=prior-arrived-show]'), null, 'nothing more to offer');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'pacs-prior-shown.png') });
  assert.deepEqual(pageErrors, []);
});
