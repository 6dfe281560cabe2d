// Where the reference material lives: the `shared/` folder beside the checkout
// (spec texts, OASIS conformance vectors). CI lays it there too. A test that
// needs it fails loudly when it is missing: a skipped check is not a pass.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const REFERENCE_DIR = process.env.KEYHOLD_REFERENCE_DIR ?? resolve(REPO_ROOT, '..', 'shared');

/** Absolute path of a file or folder under the reference folder; throws if absent. */
export function reference(...parts: string[]): string {
  const p = join(REFERENCE_DIR, ...parts);
  if (!existsSync(p)) {
    throw new Error(`reference material missing: ${p} (set KEYHOLD_REFERENCE_DIR to the folder holding kmip-spec/ and kmip-testcases/)`);
  }
  return p;
}
