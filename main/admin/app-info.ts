// Locating the app's own files. The same code runs from source (tsx), from
// out/ after tsc, and from inside app.asar, each at a different depth below
// package.json, so we walk up to it instead of hard-coding "../..".

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo } from '../../shared/ipc/contract.js';

const PACKAGE_NAME = 'keyhold';

interface PackageJson {
  name?: unknown;
  productName?: unknown;
  version?: unknown;
}

function readPackageJson(dir: string): PackageJson | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return null;
  }
}

/** The folder holding Keyhold's package.json, searched upwards from `fromUrl` (an import.meta.url). */
export function findAppRoot(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (readPackageJson(dir)?.name === PACKAGE_NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json of ${PACKAGE_NAME} not found above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}

export function readAppInfo(appRoot: string, mode: AppInfo['mode']): AppInfo {
  const pkg = readPackageJson(appRoot);
  if (!pkg || typeof pkg.name !== 'string' || typeof pkg.version !== 'string') {
    throw new Error(`unreadable package.json in ${appRoot}`);
  }
  const name = typeof pkg.productName === 'string' ? pkg.productName : pkg.name;
  return { name, id: pkg.name, version: pkg.version, mode };
}

/** Where `npm run build:renderer` puts the admin UI. */
export const rendererDistDir = (appRoot: string): string => join(appRoot, 'renderer', 'dist');
