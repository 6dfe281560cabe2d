// Security policy shared by the Electron shell and the headless HTTP transport:
// content security policies, the loopback Host allow-list and the trusted app
// origin for IPC senders. Pure functions, so both shells (and tests) use the
// very same rules.

// No inline script or style anywhere (Vite's build emits files; Svelte's CSS is
// extracted), no plugins, no framing, no forms, no <base> tricks.
const BASE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

/** Electron: the renderer talks only through the preload bridge, so it may fetch nothing. */
export const ELECTRON_CSP = [...BASE_CSP, "connect-src 'none'"].join('; ');
/** Browser: the renderer calls /api/* on its own origin. */
export const HTTP_CSP = [...BASE_CSP, "connect-src 'self'"].join('; ');

// --- Electron renderer origin -------------------------------------------------

// The UI is served from a privileged custom scheme rather than file://: every
// file:// page shares one opaque origin, so "came from file://" would prove
// nothing about the sender.
export const APP_SCHEME = 'app';
export const APP_HOST = 'keyhold';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** True when `url` (an IPC sender frame's URL) belongs to the app's own origin. */
export function isAppOriginUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  // Node reports origin "null" for non-special schemes, so compare the parts.
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

// --- Loopback HTTP ------------------------------------------------------------

/**
 * DNS-rebinding guard: a hostile page can make its own hostname resolve to
 * 127.0.0.1, but its requests still carry that hostname in Host. Only literal
 * loopback names, with our port, are accepted.
 */
export function isLoopbackHost(hostHeader: string | undefined, port: number): boolean {
  return isAllowedHost(hostHeader, port);
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The same guard for an admin UI bound beyond loopback (`--admin-host`): the
 * loopback names plus `extraNames`, the names and address literals the
 * operator's browser may use for this machine (IPv6 in brackets). A rebinding
 * page still carries its own hostname, which is none of these.
 */
export function isAllowedHost(hostHeader: string | undefined, port: number, extraNames: readonly string[] = []): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.toLowerCase();
  const names = [...LOOPBACK_NAMES, ...extraNames.map((n) => n.toLowerCase())];
  return names.some((n) => host === `${n}:${port}` || (port === 80 && host === n));
}

/** A browser's Origin header, when sent, must be exactly our own origin. */
export function isSameOrigin(originHeader: string | undefined, hostHeader: string): boolean {
  return originHeader === undefined || originHeader === `http://${hostHeader.toLowerCase()}`;
}
