// The generator's core: spec texts + data tables → registry → TypeScript source.
// Pure apart from reading its inputs, so the drift test can call it.

import { loadErrata, loadTagEnumerations, loadVersionFacts } from './data.js';
import { parseEdition } from './edition.js';
import { loadExternalEnumerations } from './pkcs11.js';
import { emitRegistry } from './emit.js';
import { buildModel, type Registry } from './model.js';
import { readSpec } from './spec-text.js';

export function buildRegistry(specDir: string): Registry {
  const errata = loadErrata();
  return buildModel({
    v14: parseEdition('1.4', '1.x', readSpec(specDir, '1.4'), errata),
    v21: parseEdition('2.1', '2.x', readSpec(specDir, '2.1'), errata),
    facts: loadVersionFacts(),
    tagEnumerations: loadTagEnumerations(),
    externalValues: loadExternalEnumerations(),
  });
}

export function generateRegistrySource(specDir: string): string {
  return emitRegistry(buildRegistry(specDir));
}
