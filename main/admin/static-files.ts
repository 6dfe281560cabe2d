// Serving the built renderer (renderer/dist) safely, for both the app://
// protocol handler in Electron and the headless HTTP transport: no path
// traversal, no directory listings, only known file types.

import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** The file under `root` that a URL pathname (still percent-encoded) names, or null. */
export function resolveStaticPath(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.endsWith('/')) decoded += 'index.html';
  const base = resolve(root);
  const full = resolve(base, `.${decoded}`);
  if (!full.startsWith(base + sep)) return null;
  if (!Object.prototype.hasOwnProperty.call(CONTENT_TYPES, extname(full))) return null;
  return full;
}

export async function loadStaticFile(root: string, pathname: string): Promise<StaticFile | null> {
  const file = resolveStaticPath(root, pathname);
  if (!file) return null;
  try {
    if (!(await stat(file)).isFile()) return null;
    return { body: await readFile(file), contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' };
  } catch {
    return null;
  }
}
