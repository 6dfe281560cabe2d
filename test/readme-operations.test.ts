// The README lists which KMIP operations the server serves and which answer
// Operation Not Supported. This keeps that list true: it must match the
// router exactly, and every other operation the registry knows must be listed
// as unsupported.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRouter } from '../main/kmip/index.js';
import { enumeration } from '../shared/kmip/registry/index.js';
import { REPO_ROOT } from './support/reference.js';
import { homedir } from 'node:os';
import { usage } from '../main/cli/main.js';

function listAfter(readme: string, label: string): string[] {
  const line = readme.split('\n').find((l) => l.startsWith(label));
  assert.ok(line, `README has a line starting "${label}"`);
  return line
    .slice(label.length)
    .replace(/\.$/, '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

test('README lists exactly the operations the router serves, and all the others as unsupported', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const operation = enumeration('Operation');
  assert.ok(operation, 'the registry has the Operation enumeration');
  const nameOf = new Map(operation.values.map((v) => [v.value, v.specName]));
  const served = createRouter().operations();
  const supported = served.map((v) => nameOf.get(v) ?? `0x${v.toString(16)}`);
  const unsupported = [...new Set(operation.values.filter((v) => !served.includes(v.value)).map((v) => v.specName))];
  assert.deepEqual(listAfter(readme, 'Supported operations:').sort(), [...supported].sort());
  assert.deepEqual(listAfter(readme, 'Answered with Operation Not Supported:').sort(), [...unsupported].sort());
});

test("README's `keyhold help` block is the CLI's help, word for word (regenerate: node bin/keyhold.mjs help | sed \"s|$HOME|~|g\")", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('```text\nUsage:\n');
  assert.ok(start >= 0, 'README has the help block');
  const block = readme.slice(start + '```text\n'.length, readme.indexOf('```', start + 8));
  assert.equal(block, usage().split(homedir()).join('~'));
});
