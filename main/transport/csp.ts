// The renderer's Content-Security-Policy, shared by the Electron protocol handler and the loopback
// host. WebAssembly compilation is allowed for Cornerstone's image codecs; nothing remote is.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers on every response of either transport: the CSP; no sniffing of types; no referrer; never
 * framed; a window opened by another page gets no handle on the station's (COOP); and no other
 * origin may load a response as an image, script or anything else (CORP: every port of 127.0.0.1 is
 * the same site, but not the same origin). No CORS header is ever sent.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The loopback host's answers are not kept in the browser's HTTP cache (patient images and data). (Electron's custom scheme is never cached, and keeps its code cache.) */
export const HTTP_ONLY_HEADERS: Readonly<Record<string, string>> = { 'cache-control': 'no-store' };
