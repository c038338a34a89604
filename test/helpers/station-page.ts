// A station served on loopback to Debian's Chromium, as the end-to-end tests open it: the built
// renderer, the host, and a page on its opening URL (with the host's token); closed in one call.
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startLoopbackHost } from '../../main/transport/http.ts';
import type { LoopbackHost } from '../../main/transport/http.ts';
import type { StationService } from '../../main/service/station.ts';
import { ROOT } from './paths.ts';
import { launchChromium, SKIP_NO_CHROMIUM } from './browser.ts';

export const RENDERER_DIR = path.join(ROOT, 'app', 'dist', 'renderer');
/** Why an end-to-end test cannot run here (no Chromium, or the renderer not built), or false. */
export const SKIP_NO_BROWSER_OR_RENDERER = SKIP_NO_CHROMIUM
  || (fs.existsSync(path.join(RENDERER_DIR, 'index.html')) ? false : 'the renderer is not built (node scripts/build.mjs --renderer-only)');

export interface StationPage {
  host: LoopbackHost;
  browser: BrowserContext;
  page: Page;
  /** What the page threw and did not catch, unhandled rejections included, since it opened: a test asserts none. */
  pageErrors: string[];
  /** Chromium, then the host (closing the host again is nothing: a test may have stopped it itself). */
  close(): Promise<void>;
}

export async function openStationPage(station: StationService, viewport?: { width: number; height: number }): Promise<StationPage> {
  const host = await startLoopbackHost({ service: station, rendererDir: RENDERER_DIR });
  const browser = await launchChromium(viewport);
  const page = browser.pages()[0] ?? await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(host.openUrl);
  return { host, browser, page, pageErrors, close: async () => { await browser.close(); await host.close(); } };
}
