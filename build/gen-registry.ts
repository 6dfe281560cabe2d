// npm run gen:registry [-- --spec-dir DIR] [-- --check]
// Regenerates shared/kmip/registry/registry.generated.ts from the KMIP spec
// texts (default: ../shared/kmip-spec beside the checkout). With --check it
// writes nothing and fails if the committed file differs.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateRegistrySource } from './registry/generate.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = resolve(REPO_ROOT, 'shared/kmip/registry/registry.generated.ts');

function parseArgs(argv: readonly string[]): { specDir: string; check: boolean } {
  let specDir = resolve(REPO_ROOT, '..', 'shared', 'kmip-spec');
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--spec-dir' && argv[i + 1] !== undefined) specDir = resolve(argv[++i]!);
    else if (arg === '--check') check = true;
    else throw new Error(`usage: gen-registry.ts [--spec-dir DIR] [--check] (unexpected '${arg}')`);
  }
  return { specDir, check };
}

const { specDir, check } = parseArgs(process.argv.slice(2));
const source = generateRegistrySource(specDir);
if (check) {
  const committed = readFileSync(OUTPUT, 'utf8');
  if (committed !== source) {
    console.error(`${OUTPUT} is out of date; run npm run gen:registry`);
    process.exit(1);
  }
  console.log('registry.generated.ts is up to date');
} else {
  writeFileSync(OUTPUT, source);
  console.log(`wrote ${OUTPUT}`);
}
