// The OASIS test cases as the conformance runner sees them: every row of
// ../shared/kmip-testcases/index.tsv, grouped so that cases that build on an
// earlier one (SASED-M-3 locates what SASED-M-2 registered, TL-M-3 after
// TL-M-2) run after it against the same database.
import { posix } from 'node:path';
import { Enum } from '../../shared/kmip/registry/index.js';
import { readTestcaseIndex } from '../support/kmip-text-vectors.js';

export interface Case {
  /** Path under kmip-testcases/, as in index.tsv. */
  path: string;
  family: string;
  /** 'M' mandatory, 'O' optional, '' when the file says neither. */
  mo: string;
  /** Protocol version of the first request ('' when the index could not tell). */
  version: string;
  wellFormed: boolean;
  /** Operation names (Enum.Operation keys) the case's requests use. */
  operations: string[];
}

export function readCases(): Case[] {
  return readTestcaseIndex().map((r) => ({
    path: r.path,
    family: r.family,
    mo: r.mandatoryOptional,
    version: r.protocolVersion,
    wellFormed: r.wellFormed,
    operations: r.operations,
  }));
}

/** Natural order: SKLC-M-2-14 before SKLC-M-10-14, then by the whole path. */
export function compareCases(a: Case, b: Case): number {
  return a.path.localeCompare(b.path, 'en', { numeric: true });
}

/** The cases of one (source folder, version, family), in numeric order: one database. */
export interface Group {
  key: string;
  cases: Case[];
}

export function groupCases(cases: readonly Case[]): Group[] {
  const groups = new Map<string, Case[]>();
  for (const c of cases) {
    const key = `${posix.dirname(c.path)} | ${c.version} | ${c.family}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
  }
  return [...groups.entries()].map(([key, cs]) => ({ key, cases: cs.sort(compareCases) })).sort((a, b) => compareCases(a.cases[0]!, b.cases[0]!));
}

/**
 * The operations a server claiming this case's profile must serve: those
 * the family's cases of the same version and class use (the Profiles list
 * each profile's mandatory test cases; the documents themselves are not in
 * the reference folder). Names unknown to the registry are left out.
 */
export function requiredOperations(all: readonly Case[], c: Case): number[] {
  const ops = new Set<number>();
  for (const o of all) {
    if (o.family !== c.family || o.version !== c.version || o.mo !== c.mo) continue;
    for (const name of o.operations) {
      const v = (Enum.Operation as Record<string, number>)[name];
      if (v !== undefined) ops.add(v);
    }
  }
  return [...ops].sort((a, b) => a - b);
}

/** The families and versions whose mandatory cases must all pass (the list). */
export const REQUIRED_FAMILIES = ['SKLC', 'AKLC', 'OMOS', 'TL', 'SASED', 'BL'] as const;
export const REQUIRED_VERSIONS = ['1.4', '2.1'] as const;

/**
 * Cryptographic services (issue 8), required case by case: every CS-BC
 * case (block ciphers, GCM, ChaCha20), and CS-AC's OAEP encryption cases.
 * The other CS families join this list the same way.
 */
export const REQUIRED_CRYPTO: readonly { label: string; test: (c: Case) => boolean }[] = [
  { label: 'CS-BC', test: (c) => c.family === 'CS-BC' },
  { label: 'CS-AC OAEP', test: (c) => c.family === 'CS-AC' && /\/CS-AC-M-OAEP-\d+-\d+(_okms)?\.xml$/.test(c.path) },
  // AX: the AES-XTS profile's cases (XTS keys, and Get wrapped with NIST Key Wrap in AX-M-2).
  { label: 'AX', test: (c) => c.family === 'AX' },
  { label: 'CS-AC Sign / Verify / MAC / Hash', test: (c) => c.family === 'CS-AC' && /\/CS-AC-M-\d+-\d+(_okms)?\.xml$/.test(c.path) },
  { label: 'CS-RNG', test: (c) => c.family === 'CS-RNG' },
  // SUITEB-128/192 have cases up to KMIP 1.4 only (a Query); there are none for 2.1.
  { label: 'SUITEB', test: (c) => c.family.startsWith('SUITEB') },
];

/**
 * Mandatory cases of a required family that no server can pass, and why.
 * They still run for docs/conformance.md, which shows what they do.
 */
export const NOT_PASSABLE: ReadonlyMap<string, string> = new Map([
  ['ovh-kmip-go/kmiptest/testdata/v1.2/CS_BC_M_7_12_Encrypt_with_All_Fields.xml', 'an encoding fixture of the vendor\'s library: one Encrypt of a fixed Unique Identifier that no request of the case created'],
  ['ovh-kmip-go/kmiptest/testdata/v1.4/CS-BC-M-GCM-3-14_okms.xml', 'the vendor changed the IV of CS-BC-M-GCM-3-14 to 12 zero bytes but kept the cipher text of the original IV (cafebabefacedbad)'],
]);

export function isRequired(c: Case): boolean {
  if (c.mo !== 'M' || !(REQUIRED_VERSIONS as readonly string[]).includes(c.version) || NOT_PASSABLE.has(c.path)) return false;
  return (REQUIRED_FAMILIES as readonly string[]).includes(c.family) || REQUIRED_CRYPTO.some((p) => p.test(c));
}
