// Who may talk to the loopback host. A browser treats every port of 127.0.0.1 as the same site, so
// the SameSite=Strict cookie alone keeps no other local page out: a page served on another port
// rides it with a no-cors fetch or a form. Besides the token, every request is checked for:
// - its Host (DNS rebinding: a name that resolves to 127.0.0.1 is still another origin);
// - its Origin, when sent: exactly the station's own;
// - its Sec-Fetch-Site, when sent: same-origin or none (typed, a bookmark, another application),
//   except a top-level navigation to the station's page that another page started (a link,
//   window.open): that one gets a notice with a link to the worklist, never the station itself,
//   whose address (its #/exam/<id> route) the other page chose; COOP keeps the opener out anyway.
// (The API's request header and content types are checked by the routes, in http.ts.)

import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { TOKEN_HEADER } from '../../common/api.ts';
import { TransportError, forbidden } from './errors.ts';
import type { Route } from './target.ts';

/** The Host header, when it names the host itself (host names in any case, RFC 9110: LOCALHOST was refused, a probe); otherwise a 421. */
export function checkHost(headers: IncomingHttpHeaders, port: number): string {
  const host = (headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    throw new TransportError(421, 'bad_request', `This server answers only as 127.0.0.1:${port} or localhost:${port}; open the address the station printed`,
      'error.badRequest', { message: 'wrong host name' });
  }
  return host;
}

const FETCH_SITES = new Set(['same-origin', 'same-site', 'cross-site', 'none']);

/**
 * Refuses a request that another page sent (Origin, Sec-Fetch-Site); `host` is the checked Host
 * header. Returns 'foreign-navigation' for a top-level navigation to the page that another site or
 * local port started (a link, window.open): the transport then answers with a notice rather than the
 * station, so that another page cannot open an exam (and have the opening audited) in the reader's
 * name; 'own' otherwise (the station's own page, an address typed or opened from outside a browser).
 */
export function checkSite(headers: IncomingHttpHeaders, host: string, method: string, route: Route): 'own' | 'foreign-navigation' {
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    throw forbidden('Refused: the request came from another page than the station’s own (its Origin is not this address)');
  }
  const site = headers['sec-fetch-site'];
  // 'none': typed, a bookmark, or opened from the command line or another application
  if (site === undefined || site === 'same-origin' || site === 'none') return 'own';
  if (typeof site !== 'string' || !FETCH_SITES.has(site)) throw forbidden('Refused: the request’s Sec-Fetch-Site header is not one a browser sends');
  const topLevelNavigation = (method === 'GET' || method === 'HEAD') && headers['sec-fetch-mode'] === 'navigate' &&
    (headers['sec-fetch-dest'] ?? 'document') === 'document' && route.kind === 'page';
  if (!topLevelNavigation) throw forbidden('Refused: the request did not come from the station’s own page (another site or another local port sent it)');
  return 'foreign-navigation';
}

export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The values of every cookie of that name, as sent (never decoded: the token needs no decoding, and
 * a malformed value that another local application set, such as `other=100%`, must not matter).
 * Another local page can set a cookie of the same name too (cookies ignore ports), so every value is
 * returned, and any may carry the token.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (!header) return values;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0 || part.slice(0, i).trim() !== name) continue;
    let value = part.slice(i + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

/** Whether the request carries the token: the x-binome-token header, a bearer token, or the station's cookie. */
export function carriesToken(headers: IncomingHttpHeaders, token: string, cookieName: string): boolean {
  const header = headers[TOKEN_HEADER];
  if (typeof header === 'string' && sameToken(header, token)) return true;
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (sameToken(bearer, token)) return true;
  return cookieValues(headers.cookie, cookieName).some((value) => sameToken(value, token));
}
