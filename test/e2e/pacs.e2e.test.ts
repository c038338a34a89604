// The PACS panel, end to end: the loopback host in Chromium, a PACS node that is away (nothing
// listens on its port). The panel says what waits for it, since when it is unreachable and when it
// is tried next; a node's form refuses a bad URL in the reader's language; "Test connection" says
// the node is unreachable; a node is added. In French with French typography. A DIMSE node (here
// the station's own receiver as the PACS): the form says how the PACS must know the station, a wrong
// host is refused, and "Test connection" (a C-ECHO) is refused until the node serves priors (its AE
// title is then admitted by the receiver), then reachable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { startLoopbackHost } from '../../main/transport/http.ts';
import type { LoopbackHost } from '../../main/transport/http.ts';
import { StationService } from '../../main/service/station.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { holdAnswers, launchChromium, SKIP_NO_CHROMIUM } from '../helpers/browser.ts';
import { writeScreeningExams } from '../helpers/mammo-files.ts';
import { parseOperationInput } from '../../common/api.ts';

const RENDERER = path.join(ROOT, 'app', 'dist', 'renderer');
const SKIP = SKIP_NO_CHROMIUM || (fs.existsSync(path.join(RENDERER, 'index.html')) ? false : 'the renderer is not built');

let station: StationService;
let host: LoopbackHost;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const SHOTS = process.env.BINOME_SCREENSHOTS;

before(async () => {
  if (SKIP) return;
  station = new StationService({ libraryDir: tempDir('pacs-e2e'), version: 'test', runtime: 'node', renditions: false, pacs: { backoff: { firstMs: 60_000, maxMs: 60_000 }, pollMs: 500 },
    receiver: { overrides: { enabled: true, port: 0, aeTitle: 'BINOME_E2E', allowedCallers: [] } } });
  await station.startReceiver();
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => { const p = (probe.address() as net.AddressInfo).port; probe.close(() => resolve(p)); });
  });
  await station.handlers.setPacsNodes(parseOperationInput('setPacsNodes', { nodes: [{ id: 'orthanc', name: 'Orthanc', baseUrl: `http://127.0.0.1:${port}/dicom-web`,
    username: 'binome', password: 'secret', queryPriors: true, receiveResults: true, timeoutSeconds: 2 }] }));
  const [exam] = writeScreeningExams(tempDir('pacs-e2e-src'), 1, { seed: 'pacs-e2e' });
  await station.handlers.importPaths(parseOperationInput('importPaths', { paths: exam!.files }));
  const examId = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).rows[0]!.examId;
  await station.handlers.sendToPacs(parseOperationInput('sendToPacs', { examId }));
  // the first attempt fails (nothing listens): the node is unreachable, the items wait a minute
  for (let i = 0; i < 200 && station.db.pacs.health('orthanc').state !== 'failing'; i++) await new Promise((r) => setTimeout(r, 50));
  host = await startLoopbackHost({ service: station, rendererDir: RENDERER });
  browser = await launchChromium();
  page = browser.pages()[0] ?? await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  await browser?.close();
  await host?.close();
  await station?.close();
});

test('the panel says what waits for an unreachable PACS and when it is tried next; forms refuse bad URLs; a node is added', { skip: SKIP }, async () => {
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=pacs-button].failed');
  assert.match(await page.textContent('[data-testid=pacs-button]') ?? '', /PACS · 4/);
  await page.click('[data-testid=pacs-button]');
  await page.waitForSelector('[data-testid=pacs-panel]');
  const line = await page.textContent('[data-testid=pacs-outbox]') ?? '';
  assert.match(line, /^4 waiting for PACS “Orthanc” — unreachable since \d\d:\d\d, next try in \d+ s · 0 sent$/);
  assert.equal(await page.isVisible('[data-testid=pacs-retry]'), true);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'pacs-panel-en.png') });

  await page.click('[data-testid=pacs-add]');
  await page.fill('[data-testid=pacs-name]', 'Second');
  await page.fill('[data-testid=pacs-url]', 'ftp://pacs/dicom-web');
  assert.match(await page.textContent('[data-testid=pacs-problems]') ?? '', /must begin with http:\/\/ or https:\/\//);
  assert.equal(await page.isDisabled('[data-testid=pacs-save]'), true);
  await page.fill('[data-testid=pacs-url]', 'http://127.0.0.1:9/dicom-web');
  await page.click('[data-testid=pacs-test]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=pacs-test-result]')?.textContent?.includes('Testing'));
  assert.match(await page.textContent('[data-testid=pacs-test-result]') ?? '', /unreachable/);
  await page.click('[data-testid=pacs-save]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=pacs-node]').length === 2);
  const nodes = (await station.handlers.pacsStatus({})).nodes.map((n) => n.node);
  assert.deepEqual(nodes.map((n) => [n.id, n.name, n.passwordSet]), [['orthanc', 'Orthanc', true], ['pacs1', 'Second', false]], 'the first node kept its password');

  await page.selectOption('[data-testid=locale]', 'fr');
  await page.waitForFunction(() => document.querySelector('[data-testid=pacs-outbox]')?.textContent?.includes('en attente'));
  const fr = await page.textContent('[data-testid=pacs-outbox]') ?? '';
  assert.match(fr, /^4 en attente du PACS «\u202fOrthanc\u202f» — injoignable depuis \d\d:\d\d, prochain essai dans \d+\u00a0s · 0 envoyé\(s\)$/);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'pacs-panel-fr.png') });
  assert.deepEqual(pageErrors, []);
});

test('"Send to PACS" in the viewer queues an exam\'s objects once, and says so in the reader\'s language', { skip: SKIP }, async () => {
  const [second] = writeScreeningExams(tempDir('pacs-e2e-second'), 2, { seed: 'pacs-e2e-send' }).slice(1);
  assert.equal((await station.handlers.importPaths(parseOperationInput('importPaths', { paths: second!.files }))).imported, 4);
  const examId = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).rows.find((r) => r.studyInstanceUid === second!.studyUid)!.examId;
  // waiting, or being tried right now (the outbox's retry may take one up while this test counts: a CI run counted 7 for 8)
  const waiting = async () => { const { outbox } = (await station.handlers.pacsStatus({})).nodes.find((n) => n.node.id === 'orthanc')!; return outbox.queued + outbox.sending; };
  const before = await waiting();
  await page.goto(host.openUrl); // the panel of the test before closed
  await page.waitForSelector('[data-testid=exam-row]');
  await page.selectOption('[data-testid=locale]', 'en');
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, examId);
  await page.click('[data-testid=pacs-send]');
  await page.waitForSelector('[data-testid=pacs-send-result]');
  // its 4 objects, for each of the two nodes that receive results (the test before added the second)
  assert.equal((await page.textContent('[data-testid=pacs-send-result]'))?.trim(), '8 items queued for sending to “Orthanc”, “Second”');
  assert.equal(await waiting(), before + 4);
  // what it said follows the reader's language
  await page.selectOption('[data-testid=locale]', 'fr');
  await page.waitForFunction(() => !/items queued/.test(document.querySelector('[data-testid=pacs-send-result]')?.textContent ?? ''));
  assert.match((await page.textContent('[data-testid=pacs-send-result]')) ?? '', /8 .*«\u202fOrthanc\u202f»/);
  // asked again: nothing is queued twice
  await page.click('[data-testid=pacs-send]');
  await page.waitForFunction(() => document.querySelector('[data-testid=pacs-send-result]')?.textContent?.includes('déjà'));
  assert.equal((await page.textContent('[data-testid=pacs-send-result]'))?.trim(), 'déjà en attente d’envoi');
  assert.equal(await waiting(), before + 4);
  assert.deepEqual(pageErrors, []);
});

test('a send answered once the reader is on the next exam is not said beside that exam: "queued" read as hers (a review)', { skip: SKIP }, async () => {
  const rows = (await station.handlers.worklistQuery(parseOperationInput('worklistQuery', {}))).rows;
  assert.ok(rows.length >= 2);
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=exam-row]');
  await page.evaluate((id) => { location.hash = `#/exam/${id}`; }, rows[0]!.examId);
  // the next exam prepared out of sight: PageDown shows it at once, the exam's bar kept (a page loading
  // in between would have made the button anew)
  await page.waitForSelector(`[data-testid=exam-page][data-exam-id="${rows[0]!.examId}"][data-prefetch=done] [data-testid=pacs-send]`, { timeout: 120_000 });
  const release = await holdAnswers(page, 'sendToPacs');
  try {
    const asked = page.waitForRequest('**/api/op/sendToPacs');
    await page.click('[data-testid=pacs-send]');
    await asked;
    await page.keyboard.press('PageDown');
    await page.waitForSelector(`[data-testid=exam-page][data-exam-id="${rows[1]!.examId}"] [data-testid=pacs-send]`);
  } finally {
    await release();
  }
  await page.waitForTimeout(1000);
  assert.equal(await page.locator('[data-testid=pacs-send-result]').count(), 0, 'nothing said of a send of this exam');
  assert.equal(await page.isDisabled('[data-testid=pacs-send]'), false, 'and its button is free');
  assert.deepEqual(pageErrors, []);
});

test('a connection test answered after the address was changed is not shown under the new address: "unreachable" read as the corrected host\'s (a review)', { skip: SKIP }, async () => {
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=exam-row]');
  await page.click('[data-testid=pacs-button]');
  await page.click('[data-testid=pacs-add]');
  await page.fill('[data-testid=pacs-name]', 'Essai');
  await page.fill('[data-testid=pacs-url]', 'http://127.0.0.1:9/dicom-web');
  const release = await holdAnswers(page, 'testPacsNode');
  try {
    await page.click('[data-testid=pacs-test]');
    await page.waitForSelector('[data-testid=pacs-test-result]');
    await page.fill('[data-testid=pacs-url]', 'http://127.0.0.1:10/dicom-web');
    assert.equal(await page.locator('[data-testid=pacs-test-result]').count(), 0, 'the test under way was of the other address');
    assert.equal(await page.isDisabled('[data-testid=pacs-test]'), false, 'the new address can be tested');
  } finally {
    await release();
  }
  await page.waitForTimeout(1000);
  assert.equal(await page.locator('[data-testid=pacs-test-result]').count(), 0, 'its answer is not shown under the new address');
  // the address it was of, typed back: what it said is shown again
  await page.fill('[data-testid=pacs-url]', 'http://127.0.0.1:9/dicom-web');
  assert.match(await page.textContent('[data-testid=pacs-test-result]') ?? '', /unreachable|injoignable/i);
  assert.equal((await station.handlers.pacsStatus({})).nodes.length, 2, 'nothing saved');
  assert.deepEqual(pageErrors, []);
});

test('a DIMSE node: the form says how the PACS must know the station; its C-ECHO is refused, then answered once the node is saved', { skip: SKIP }, async () => {
  const receiverPort = (await station.handlers.receiverStatus({})).status!.port!;
  await page.goto(host.openUrl);
  await page.waitForSelector('[data-testid=exam-row]');
  await page.selectOption('[data-testid=locale]', 'fr');
  await page.click('[data-testid=pacs-button]');
  await page.click('[data-testid=pacs-add]');
  await page.fill('[data-testid=pacs-name]', 'Réseau');
  await page.selectOption('[data-testid=pacs-protocol]', 'dimse');
  assert.equal(await page.isVisible('[data-testid=pacs-url]'), false);
  const hint = await page.textContent('[data-testid=pacs-dimse-hint]') ?? '';
  assert.match(hint, new RegExp(`titre AE «\u202fBINOME_E2E\u202f», adresse de cet ordinateur, port ${receiverPort}\u202f;`));
  await page.fill('[data-testid=pacs-aet]', 'BINOME_E2E');
  await page.fill('[data-testid=pacs-host]', 'pacs local');
  assert.match(await page.textContent('[data-testid=pacs-problems]') ?? '', /Ce n’est ni un nom d’hôte ni une adresse IP\./);
  assert.equal(await page.isDisabled('[data-testid=pacs-save]'), true);
  await page.fill('[data-testid=pacs-host]', '127.0.0.1');
  await page.fill('[data-testid=pacs-port]', String(receiverPort));
  await page.uncheck('[data-testid=pacs-results]');
  // not saved yet: the receiver does not know its AE title, and refuses the association
  await page.click('[data-testid=pacs-test]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=pacs-test-result]')?.textContent?.includes('Test en cours'));
  assert.equal((await page.textContent('[data-testid=pacs-test-result]'))?.trim(), 'le PACS a refusé l’association (vérifiez les titres AE)');
  await page.click('[data-testid=pacs-save]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=pacs-node]').length === 3);
  assert.match(await page.locator('[data-testid=pacs-node]').nth(2).textContent() ?? '', new RegExp(`DICOM BINOME_E2E @ 127\\.0\\.0\\.1:${receiverPort}`));
  const saved = (await station.handlers.pacsStatus({})).nodes.find((n) => n.node.name === 'Réseau')!.node;
  assert.deepEqual([saved.protocol, saved.baseUrl, saved.dimse, saved.receiveResults], ['dimse', null, { aeTitle: 'BINOME_E2E', host: '127.0.0.1', port: receiverPort }, false]);
  await page.locator('[data-testid=pacs-edit]').nth(2).click();
  await page.click('[data-testid=pacs-test]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=pacs-test-result]')?.textContent?.includes('Test en cours'));
  assert.match(await page.textContent('[data-testid=pacs-test-result]') ?? '', /^Joignable\u202f: le PACS a répondu à un C-ECHO \(\d+ ms\)\.$/);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'pacs-dimse-fr.png') });
  assert.deepEqual(pageErrors, []);
});
