// Serves the built renderer on app://keyhold/. A privileged standard scheme
// gives the UI a real origin of its own (unlike file://), which is what the IPC
// sender check and the CSP 'self' rely on.

import { protocol } from 'electron';
import { APP_HOST, APP_SCHEME, ELECTRON_CSP } from '../admin/security.js';
import { loadStaticFile } from '../admin/static-files.js';

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    // standard+secure: a proper origin and a secure context; the rest lets
    // Chromium load Vite's `<script type="module" crossorigin>` from it.
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
  ]);
}

export function handleAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST && request.method === 'GET' ? await loadStaticFile(rendererDir, url.pathname) : null;
    if (!file) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    return new Response(new Uint8Array(file.body), {
      headers: {
        'content-type': file.contentType,
        // Also set by the session's onHeadersReceived; set here too in case a
        // future Electron stops routing custom-scheme responses through webRequest.
        'content-security-policy': ELECTRON_CSP,
        'x-content-type-options': 'nosniff',
      },
    });
  });
}
