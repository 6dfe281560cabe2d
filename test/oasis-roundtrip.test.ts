// Every Request/Response Message of the OASIS XML test-case sets for KMIP
// 1.0–2.1 (all folders under kmip-testcases, OVH and website sets included)
// round-trips
//   XML → item → TTLV bytes → item → XML → item   (and item → JSON → item)
// to the same tree, and the second TTLV encoding equals the first.
// Placeholders: see substitutePlaceholder in test/support/kmip-text-vectors.ts
// ($UNIQUE_IDENTIFIER_n and other Text String tokens pass through; $NOW±n in
// Date-Times and $… in Byte Strings get fixed values).
// Exclusions are listed with their reasons; the test fails if the list grows
// or shrinks, and each excluded item is checked to fail the documented way.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parseKmipJson, toKmipJsonLine } from '../shared/kmip/json/index.js';
import { KmipTextError } from '../shared/kmip/text/index.js';
import { decodeTtlv, encodeTtlv, toHex } from '../shared/kmip/ttlv/index.js';
import { parseKmipXml, parseKmipXmlElement, toKmipXml } from '../shared/kmip/xml/index.js';
import { firstDifference, readTestcaseIndex, substitutePlaceholder, type IndexRow } from './support/kmip-text-vectors.js';
import { reference } from './support/reference.js';

const ROOT = reference('kmip-testcases');
const IN_SCOPE = ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1'];
const OUT_OF_SCOPE_VERSIONS: Record<string, string> = {
  '3.0': 'KMIP 3.0 is outside 1.0–2.1 (its files use the 3.0 types Identifier, Reference, NameReference)',
};

/** Files not round-tripped, with the reason; each is checked to fail as described. */
const FILE_EXCLUSIONS: Record<string, { reason: string; check: () => void }> = {
  'cosmian-kmip/website/testcases/v1.4/cnprd01/test-cases/kmip-v1.4/TC-ECDSA-SIGN-1-14.xml': {
    reason: 'not well-formed: the OASIS file ends with a duplicated </KMIP> (PROVENANCE.md); the OVH copy is fixed and is tested',
    check() {
      const text = readFileSync(join(ROOT, 'cosmian-kmip/website/testcases/v1.4/cnprd01/test-cases/kmip-v1.4/TC-ECDSA-SIGN-1-14.xml'), 'utf8');
      assert.match(text, /<\/KMIP>\s*<\/KMIP>\s*$/);
      assert.throws(() => parseKmipXml(text), (e: unknown) => e instanceof KmipTextError && e.code === 'SYNTAX' && e.message.includes('follow the root'));
      // Without the stray end tag it is fine.
      assert.ok(parseKmipXml(text.replace(/<\/KMIP>\s*$/, ''), { substitute: substitutePlaceholder }).length > 0);
    },
  },
};

/**
 * Single messages not round-tripped: 'path#index' (0-based among the file's
 * messages) → reason, and a piece of the error it must fail with.
 */
const CONTENT_COMMITMENT =
  "data defect: the v2.0 cnd02 draft names Cryptographic Usage Mask bit 0x400 'ContentCommitment', a name no KMIP version has (1.x: ContentCommitmentNonRepudiation; 2.x: reserved)";
const NOT_AUTHORIZED = "data defect: the v2.0 cnd02 draft spells Result Reason 'NotAuthorized'; KMIP 2.0/2.1 name it 'Not Authorised' (NotAuthorised)";
const MESSAGE_EXCLUSIONS: Record<string, { reason: string; fails: string }> = {
  'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-CERTATTR-1-20.xml#0': { reason: CONTENT_COMMITMENT, fails: "'ContentCommitment' is not a CryptographicUsageMask bit name" },
  'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-CERTATTR-1-20.xml#3': { reason: CONTENT_COMMITMENT, fails: "'ContentCommitment' is not a CryptographicUsageMask bit name" },
  'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-PKCS12-1-20.xml#4': { reason: CONTENT_COMMITMENT, fails: "'ContentCommitment' is not a CryptographicUsageMask bit name" },
  'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-PKCS12-1-20.xml#6': { reason: CONTENT_COMMITMENT, fails: "'ContentCommitment' is not a CryptographicUsageMask bit name" },
  'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-PKCS12-1-20.xml#8': { reason: CONTENT_COMMITMENT, fails: "'ContentCommitment' is not a CryptographicUsageMask bit name" },
  'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-DLOGIN-2-20.xml#11': { reason: NOT_AUTHORIZED, fails: "'NotAuthorized' is not a ResultReason value name" },
  'cosmian-kmip/website/kmip-testcases/v2.0/cnd02/test-cases/kmip-v2.0/TC-DLOGIN-2-20.xml#13': { reason: NOT_AUTHORIZED, fails: "'NotAuthorized' is not a ResultReason value name" },
};


/** Floors (registry of KMIP 1.0–2.1, PKCS#11 Function / Return Code values included): 1114 files, 13259 messages. */
const MIN_FILES = 1114;
const MIN_MESSAGES = 13259;

function allXmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allXmlFiles(p));
    else if (name.endsWith('.xml')) out.push(relative(ROOT, p));
  }
  return out.sort();
}

/**
 * The message elements of a test-case file as separate texts (so one bad
 * message does not hide the others). Comments go first: some files comment
 * out whole messages (CS-BC-M-GCM-3-14).
 */
function messageTexts(xml: string): string[] {
  return [...xml.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(RequestMessage|ResponseMessage)\b[\s\S]*?<\/\1\s*>/g)].map((m) => m[0]);
}

const opts = { substitute: substitutePlaceholder };

/** The whole round trip for one message; returns a description of the first failure, or undefined. */
function roundTrip(text: string): string | undefined {
  try {
    const a = parseKmipXmlElement(text, opts);
    const bytes = encodeTtlv(a);
    const b = decodeTtlv(bytes);
    let d = firstDifference(a, b);
    if (d) return `XML → TTLV → item: ${d}`;
    const xml = toKmipXml(b);
    const c = parseKmipXmlElement(xml);
    d = firstDifference(a, c);
    if (d) return `item → XML → item: ${d}`;
    if (toHex(encodeTtlv(c)) !== toHex(bytes)) return 'second TTLV encoding differs';
    const j = parseKmipJson(toKmipJsonLine(b));
    d = firstDifference(a, j);
    if (d) return `item → JSON → item: ${d}`;
    return undefined;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const rows = readTestcaseIndex();
const byPath = new Map(rows.map((r) => [r.path, r]));

test('index.tsv lists every XML file on disk, and only those', () => {
  assert.deepEqual(allXmlFiles(ROOT), [...byPath.keys()].sort());
});

interface Tally {
  files: number;
  messages: number;
  excludedMessages: string[];
  failures: string[];
}

function runFile(row: IndexRow, tally: Tally): void {
  const text = readFileSync(join(ROOT, row.path), 'utf8');
  const texts = messageTexts(text);
  assert.equal(texts.length, row.requests + row.responses, `${row.path}: message count differs from index.tsv`);
  tally.files++;
  let excludedHere = 0;
  for (const [i, msg] of texts.entries()) {
    const key = `${row.path}#${i}`;
    const failure = roundTrip(msg);
    const ex = MESSAGE_EXCLUSIONS[key];
    if (ex !== undefined) {
      excludedHere++;
      assert.ok(failure?.includes(ex.fails), `${key} is excluded (${ex.reason}) but fails otherwise: ${failure ?? 'it round-trips; remove the exclusion'}`);
      tally.excludedMessages.push(`${key}: ${ex.reason}`);
      continue;
    }
    if (failure !== undefined) tally.failures.push(`${key}: ${failure}`);
    else tally.messages++;
  }
  // The document as a whole reads to the same messages (or, with an excluded message in it, fails).
  if (excludedHere > 0) {
    assert.throws(() => parseKmipXml(text, opts), KmipTextError);
  } else {
    const whole = parseKmipXml(text, opts);
    assert.equal(whole.length, texts.length, `${row.path}: document parse found ${whole.length} messages`);
    for (const [i, item] of whole.entries()) {
      assert.equal(firstDifference(item, parseKmipXmlElement(texts[i]!, opts)), undefined, `${row.path}#${i}: document parse differs`);
    }
  }
}

const total: Tally = { files: 0, messages: 0, excludedMessages: [], failures: [] };
const versionSkips = new Map<string, number>();

for (const version of IN_SCOPE) {
  test(`KMIP ${version} test-case files round-trip`, (t) => {
    const tally: Tally = { files: 0, messages: 0, excludedMessages: [], failures: [] };
    for (const row of rows.filter((r) => r.protocolVersion === version)) {
      if (row.path in FILE_EXCLUSIONS) continue;
      try {
        runFile(row, tally);
      } catch (e) {
        tally.failures.push(`${row.path}: ${(e as Error).message}`);
      }
    }
    t.diagnostic(`KMIP ${version}: ${tally.files} files, ${tally.messages} messages round-tripped`);
    total.files += tally.files;
    total.messages += tally.messages;
    total.excludedMessages.push(...tally.excludedMessages);
    total.failures.push(...tally.failures);
    assert.deepEqual(tally.failures, [], `${tally.failures.length} failures`);
  });
}

test('exclusions: exactly the expected ones, each failing the documented way', (t) => {
  for (const row of rows) {
    if (IN_SCOPE.includes(row.protocolVersion) || row.path in FILE_EXCLUSIONS) continue;
    const reason = OUT_OF_SCOPE_VERSIONS[row.protocolVersion];
    assert.ok(reason, `${row.path}: protocol version '${row.protocolVersion}' is neither in scope nor excluded`);
    versionSkips.set(row.protocolVersion, (versionSkips.get(row.protocolVersion) ?? 0) + 1);
  }
  for (const [version, n] of versionSkips) t.diagnostic(`excluded: ${n} files of KMIP ${version}: ${OUT_OF_SCOPE_VERSIONS[version]}`);
  assert.deepEqual(Object.fromEntries(versionSkips), { '3.0': 102 });
  for (const [path, ex] of Object.entries(FILE_EXCLUSIONS)) {
    t.diagnostic(`excluded file ${path}: ${ex.reason}`);
    assert.ok(byPath.has(path), `${path} is not in index.tsv`);
    ex.check();
  }
  for (const line of total.excludedMessages) t.diagnostic(`excluded message ${line}`);
  assert.equal(total.excludedMessages.length, Object.keys(MESSAGE_EXCLUSIONS).length, 'every message exclusion was met');
});

test('round-trip totals', (t) => {
  t.diagnostic(`total: ${total.files} files, ${total.messages} messages round-tripped`);
  assert.ok(total.files >= MIN_FILES, `only ${total.files} files (floor ${MIN_FILES})`);
  assert.ok(total.messages >= MIN_MESSAGES, `only ${total.messages} messages (floor ${MIN_MESSAGES})`);
});
