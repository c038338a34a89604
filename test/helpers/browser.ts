// Debian's Chromium driven by playwright-core (no browser download), for end-to-end tests.
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { tempDir } from './paths.ts';

export const CHROMIUM_PATH = process.env.BINOME_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
export const SKIP_NO_CHROMIUM = CHROMIUM_PATH ? false : 'Chromium is not installed (apt-get install chromium, or set BINOME_CHROMIUM)';

/**
 * Chromium on a fresh profile, removed when the test process exits: close the context (it ends Chromium) before then.
 * Its language is English unless `locale` says otherwise (the station follows the browser's until a reader chooses one).
 */
export async function launchChromium(viewport = { width: 1280, height: 900 }, locale = 'en-US'): Promise<BrowserContext> {
  const userDataDir = tempDir('chromium');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH!,
    headless: true,
    viewport,
    locale,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * Holds the station's answers to `operation` on `page`: each request goes to the station at once, its
 * answer is handed to the page only once the returned function is called (which then waits for every
 * held answer to be handed over, and stops holding). For what a page does with a late answer.
 * `first`: only the first so many answers are held, the later ones pass (an earlier answer overtaken).
 */
export async function holdAnswers(page: Page, operation: string, { first = Infinity }: { first?: number } = {}): Promise<() => Promise<void>> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const handed: Promise<void>[] = [];
  const pattern = `**/api/op/${operation}`;
  await page.route(pattern, (route) => {
    if (handed.length >= first) return route.continue();
    const done = (async () => { const response = await route.fetch(); await held; await route.fulfill({ response }); })();
    // (a page closed, or the route gone, meanwhile: nothing to hand over; what the page shows is what is asserted)
    const settled = done.catch(() => undefined);
    handed.push(settled);
    return settled;
  });
  return async () => {
    release();
    await Promise.all(handed);
    await page.unroute(pattern);
  };
}
