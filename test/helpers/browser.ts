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

/** What `holdRequests` hands back: called, it lets every held answer go, waits for them to be handed over and stops holding. */
export type HeldRequests = (() => Promise<void>) & { /** how many requests have been held so far */ readonly count: number };

export interface HoldOptions {
  /** Only the first so many requests are held, the later ones pass (an earlier answer overtaken). */
  first?: number;
  /** Only the requests whose address passes are held; the others pass at once. */
  only?: (url: string) => boolean;
  /**
   * 'at once' (the default): each request goes to the station when the page makes it and its answer is
   * held (what the station says is of that moment). 'on release': the request itself waits (the
   * station hears of it, and does what it asks, only once released).
   */
  sent?: 'at once' | 'on release';
  /** Each answer handed over this long after it came instead of on release (a slow station). */
  delayMs?: number;
}

/**
 * Holds the page's requests to `url` (a Playwright route pattern): for what a page does with a late
 * answer, or with images still on their way. The returned function releases them (see HeldRequests).
 */
export async function holdRequests(page: Page, url: string | RegExp, { first = Infinity, only = () => true, sent = 'at once', delayMs }: HoldOptions = {}): Promise<HeldRequests> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => { release = resolve; });
  const wait = () => (delayMs === undefined ? released : new Promise<void>((resolve) => setTimeout(resolve, delayMs)));
  const handed: Promise<void>[] = [];
  await page.route(url, (route) => {
    if (handed.length >= first || !only(route.request().url())) return route.continue();
    const done = sent === 'at once'
      ? (async () => { const response = await route.fetch(); await wait(); await route.fulfill({ response }); })()
      : (async () => { await wait(); await route.continue(); })();
    // (a page closed, or the route gone, meanwhile: nothing to hand over; what the page shows is what is asserted)
    const settled = done.catch(() => undefined);
    handed.push(settled);
    return settled;
  });
  const letGo = async () => {
    release();
    // every answer handed over before the route goes (gone first, an answer still delayed was handed twice:
    // a clean-clone run), those asked for meanwhile too
    for (let n = -1; n !== handed.length;) { n = handed.length; await Promise.all(handed); }
    await page.unroute(url);
  };
  return Object.defineProperty(letGo, 'count', { get: () => handed.length }) as HeldRequests;
}

/** `holdRequests` for the station's answers to one API operation. */
export function holdAnswers(page: Page, operation: string, options: HoldOptions = {}): Promise<HeldRequests> {
  return holdRequests(page, `**/api/op/${operation}`, options);
}
