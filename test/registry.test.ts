// The KMIP registry (shared/kmip/registry): generated from the spec texts,
// names ↔ values both ways, versions, and the names the OASIS vectors use.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadErrata } from '../build/registry/data.js';
import { generateRegistrySource } from '../build/registry/generate.js';
import {
  ENUMS,
  Enum,
  ITEM_TYPES,
  KMIP_VERSIONS,
  TAGS,
  Tag,
  enumForTag,
  enumValueByNameOf,
  enumValueName,
  enumeration,
  itemTypeByValue,
  normalizeName,
  tagByName,
  tagByValue,
  type EnumDef,
} from '../shared/kmip/registry/index.js';
import { ItemType } from '../shared/kmip/ttlv/types.js';
import { REPO_ROOT, reference } from './support/reference.js';

function enumDef(name: string): EnumDef {
  const e = enumeration(name);
  assert.ok(e, `enumeration ${name}`);
  return e;
}

describe('registry: generated from the spec texts', () => {
  it('regenerating from kmip-spec gives exactly the committed registry.generated.ts', () => {
    const committed = readFileSync(join(REPO_ROOT, 'shared/kmip/registry/registry.generated.ts'), 'utf8');
    const regenerated = generateRegistrySource(reference('kmip-spec'));
    assert.ok(committed === regenerated, 'registry.generated.ts is stale or hand-edited: run npm run gen:registry');
  });
});

describe('registry: names ↔ values', () => {
  it('every tag round-trips name → value → name, and Tag has every tag', () => {
    assert.equal(Object.keys(Tag).length, TAGS.length);
    for (const t of TAGS) {
      assert.equal(tagByName(t.name)?.value, t.value, t.name);
      assert.equal(tagByValue(t.value)?.name, t.name, t.name);
      assert.equal((Tag as Record<string, number>)[t.name], t.value, t.name);
      assert.equal(normalizeName(t.specName), t.name, t.specName);
    }
  });

  it('every enumeration value round-trips, in each version that defines it', () => {
    for (const e of ENUMS) {
      const consts = (Enum as Record<string, Record<string, number>>)[e.name];
      assert.ok(consts, `Enum.${e.name}`);
      for (const v of e.values) {
        assert.equal(enumValueByNameOf(e, v.name), v.value, `${e.name}.${v.name}`);
        assert.equal(consts[v.name], v.value, `Enum.${e.name}.${v.name}`);
        for (const version of v.versions) assert.equal(enumValueName(e, v.value, version), v.name, `${e.name}.${v.name} in ${version}`);
        // Without a version, the newest name: one that parses back to the same value.
        assert.equal(enumValueByNameOf(e, enumValueName(e, v.value)!), v.value);
      }
    }
  });

  it('every tag that names an enumeration points at one the registry has', () => {
    for (const t of TAGS.filter((x) => x.enumeration !== undefined)) {
      assert.equal(enumForTag(t.value)?.name, t.enumeration, t.name);
    }
  });

  it('item types agree with the TTLV codec (shared/kmip/ttlv/types.ts)', () => {
    assert.deepEqual(
      Object.fromEntries(ITEM_TYPES.map((t) => [t.name, t.value])),
      ItemType,
    );
    assert.deepEqual(itemTypeByValue(0x0b)?.versions, ['2.0', '2.1']);
    assert.deepEqual(itemTypeByValue(0x09)?.versions, KMIP_VERSIONS);
  });
});

describe('registry: spot checks against the spec', () => {
  it('tag values (1.4 §9.1.3.1, 2.1 §11.56)', () => {
    assert.equal(Tag.ActivationDate, 0x420001);
    assert.equal(Tag.RequestMessage, 0x420078);
    assert.equal(Tag.ProtocolVersionMajor, 0x42006a);
    assert.equal(Tag.X_509CertificateIdentifier, 0x4200b5);
    assert.equal(Tag.PKCS_12FriendlyName, 0x4200fb);
    assert.equal(Tag.AuthenticatedEncryptionAdditionalData, 0x4200fe); // name wrapped over two cells
  });

  it('enumeration values (1.4 §9.1.3.2, 2.1 §11)', () => {
    assert.equal(Enum.Operation.Create, 0x01);
    assert.equal(Enum.Operation.DiscoverVersions, 0x1e);
    assert.equal(Enum.ResultReason.PermissionDenied, 0x0c);
    assert.equal(Enum.ResultReason.GeneralFailure, 0x100);
    assert.equal(Enum.ObjectType.SymmetricKey, 0x02);
    assert.equal(Enum.KeyFormatType.PKCS_1, 0x03);
    assert.equal(Enum.KeyFormatType.X_509, 0x05);
    assert.equal(Enum.KeyFormatType.TransparentRSAPrivateKey, 0x0a);
    assert.equal(Enum.LinkType.PublicKeyLink, 0x102);
  });

  it('bit masks (1.4 §9.1.3.3, 2.1 §12)', () => {
    const usage = enumDef('CryptographicUsageMask');
    assert.equal(usage.kind, 'mask');
    assert.equal(Enum.CryptographicUsageMask.Encrypt, 0x4);
    assert.equal(Enum.CryptographicUsageMask.Decrypt, 0x8);
    assert.equal(enumForTag(Tag.CryptographicUsageMask), usage);
    assert.equal(enumForTag(Tag.StorageStatusMask)?.kind, 'mask');
    assert.equal(enumForTag(Tag.ProtectionStorageMask)?.name, 'ProtectionStorageMask');
    // 0x40 Export was dropped in 2.0 (Reserved), 0x100000 Authenticate added.
    assert.deepEqual(usage.values.find((v) => v.name === 'Export')?.versions, ['1.0', '1.1', '1.2', '1.3', '1.4']);
    assert.deepEqual(usage.values.find((v) => v.name === 'Authenticate')?.versions, ['2.0', '2.1']);
  });

  it('versions: 2.x-only, 2.1-only, removed in 2.0, introduced after 1.0', () => {
    assert.equal(Tag.Attributes, 0x420125);
    assert.deepEqual(tagByName('Attributes')?.versions, ['2.0', '2.1']);
    assert.deepEqual(tagByName('ObjectGroups')?.versions, ['2.1']);
    // Template-Attribute and Attribute Index are "(Reserved)" in the 2.1 tag table.
    assert.deepEqual(tagByName('TemplateAttribute')?.versions, ['1.0', '1.1', '1.2', '1.3', '1.4']);
    assert.deepEqual(tagByValue(0x420009)?.versions, ['1.0', '1.1', '1.2', '1.3', '1.4']);
    assert.equal(tagByValue(0x420009)?.name, 'AttributeIndex');
    assert.deepEqual(tagByName('DeviceIdentifier')?.versions, ['1.1', '1.2', '1.3', '1.4', '2.0', '2.1']);
    assert.deepEqual(tagByName('Password')?.versions, KMIP_VERSIONS);
    const op = enumDef('Operation');
    assert.deepEqual(op.values.find((v) => v.name === 'DiscoverVersions')?.versions.slice(0, 1), ['1.1']);
    assert.deepEqual(op.values.find((v) => v.name === 'Ping')?.versions, ['2.1']);
  });

  it('deprecations', () => {
    assert.equal(tagByName('CertificateIdentifier')?.deprecatedIn, '1.1');
    assert.equal(tagByName('OperationPolicyName')?.deprecatedIn, '1.3');
    const template = enumDef('ObjectType').values.find((v) => v.name === 'Template');
    assert.equal(template?.deprecatedIn, '1.3');
    assert.deepEqual(template?.versions, ['1.0', '1.1', '1.2', '1.3', '1.4']);
  });

  it('spec misprints (spec-errata.tsv) are input-only aliases: they parse, and are never printed', () => {
    const mgf = enumDef('MaskGenerator');
    assert.equal(enumValueByNameOf(mgf, 'MFG1'), 1); // 2.0/2.1 §11.30 print "MFG1"
    assert.equal(enumValueByNameOf(mgf, 'MGF1'), 1);
    assert.deepEqual(mgf.values[0]?.aliases, ['MFG1']);
    assert.equal((Enum.MaskGenerator as Record<string, number>).MFG1, undefined, 'no constant for a misprint');
    const split = enumDef('SplitKeyMethod');
    assert.equal(enumValueByNameOf(split, 'PolynomialSharingGF216'), 2);
    assert.equal(enumValueByNameOf(split, 'PolynomialSharingGF28'), 4);
    // Data-driven: every erratum's printed name is an alias of its value, in no version its name.
    const errata = loadErrata();
    assert.ok(errata.length >= 3);
    for (const fix of errata) {
      const def = enumDef(fix.enumeration);
      const printed = normalizeName(fix.printed);
      const v = def.values.find((x) => x.value === fix.value && x.name === normalizeName(fix.corrected));
      assert.ok(v, `${fix.enumeration} ${fix.value}`);
      assert.ok(v.aliases?.includes(printed), `${def.name}.${v.name} lacks alias ${printed}`);
      assert.equal(enumValueByNameOf(def, printed), fix.value);
      assert.notEqual(enumValueName(def, fix.value), printed);
      for (const version of KMIP_VERSIONS) assert.notEqual(enumValueName(def, fix.value, version), printed);
    }
    // Aliases only come from the errata table.
    const all = ENUMS.flatMap((e) => e.values.flatMap((v) => (v.aliases ?? []).map((a) => `${e.name}.${a}`)));
    assert.deepEqual(all.sort(), errata.map((f) => `${f.enumeration}.${normalizeName(f.printed)}`).sort());
  });

  it('with a version, a value that version does not define has no name; without one, the newest name', () => {
    const usage = enumDef('CryptographicUsageMask');
    assert.equal(enumValueName(usage, 0x100000, '1.4'), undefined); // Authenticate: 2.x only
    assert.equal(enumValueName(usage, 0x100000, '2.0'), 'Authenticate');
    assert.equal(enumValueName(usage, 0x100000), 'Authenticate');
    assert.equal(enumValueName(usage, 0x40, '2.1'), undefined); // Export: 1.x only
    assert.equal(enumValueName(usage, 0x40), 'Export');
    const op = enumDef('Operation');
    assert.equal(enumValueName(op, Enum.Operation.Ping, '2.0'), undefined);
    assert.equal(enumValueName(op, Enum.Operation.Ping, '2.1'), 'Ping');
    assert.equal(enumValueName(op, Enum.Operation.DiscoverVersions, '1.0'), undefined);
    assert.equal(enumValueName(op, Enum.Operation.DiscoverVersions, '1.1'), 'DiscoverVersions');
    for (const e of ENUMS) {
      for (const v of e.values) {
        for (const version of KMIP_VERSIONS) {
          const name = enumValueName(e, v.value, version);
          const defined = e.values.some((x) => x.value === v.value && x.versions.includes(version));
          assert.equal(name !== undefined, defined, `${e.name} ${v.value} in ${version}`);
        }
      }
    }
  });

  it('values renamed between 1.4 and 2.x keep both names', () => {
    const dsa = enumDef('DigitalSignatureAlgorithm');
    assert.equal(enumValueName(dsa, 5, '1.4'), 'SHA_256WithRSAEncryptionPKCS_1V1_5');
    assert.equal(enumValueName(dsa, 5, '2.1'), 'SHA_256WithRSAEncryption');
    assert.equal(enumValueByNameOf(dsa, 'SHA_256WithRSAEncryptionPKCS_1V1_5'), 5);
    const hash = enumDef('HashingAlgorithm');
    assert.equal(enumValueName(hash, 0x0e, '1.4'), 'SHA_3_224');
    assert.equal(enumValueName(hash, 0x0e, '2.0'), 'SHA3_224');
  });

  it('tags whose type changed or whose enumeration has another name', () => {
    // Asynchronous Indicator: Boolean in 1.x, Enumeration in 2.x.
    assert.equal(enumForTag(Tag.AsynchronousIndicator)?.name, 'AsynchronousIndicator');
    assert.equal(enumForTag(Tag.MaskGeneratorHashingAlgorithm)?.name, 'HashingAlgorithm');
    assert.equal(enumForTag(Tag.ExtensionType)?.name, 'ItemType');
    assert.equal(enumValueByNameOf(enumForTag(Tag.AttributeReference)!, 'CryptographicAlgorithm'), Tag.CryptographicAlgorithm);
    assert.equal(enumForTag(Tag.Data), undefined);
    assert.equal(Enum.MaskGenerator.MGF1, 1); // 2.x misprints MFG1 (spec-errata.tsv)
  });

  it('PKCS#11 Function and Return Code take their values from PKCS#11 v3.0 (2.x §11.38, §11.39)', () => {
    // 1-based offsets in CK_FUNCTION_LIST_3_0 (pkcs11f.h order): 2.40's 68, then 3.0's 24.
    const fn = enumDef('PKCS_11Function');
    assert.equal(enumForTag(Tag.PKCS_11Function), fn);
    assert.equal(Enum.PKCS_11Function.C_Initialize, 1);
    assert.equal(Enum.PKCS_11Function.C_Finalize, 2);
    assert.equal(Enum.PKCS_11Function.C_GetInfo, 3);
    assert.equal(Enum.PKCS_11Function.C_GetFunctionList, 4);
    assert.equal(Enum.PKCS_11Function.C_WaitForSlotEvent, 68);
    assert.equal(Enum.PKCS_11Function.C_GetInterfaceList, 69);
    assert.equal(Enum.PKCS_11Function.C_MessageVerifyFinal, 92);
    assert.deepEqual(fn.values.map((v) => v.value), Array.from({ length: 92 }, (_, i) => i + 1));
    // CK_RV values (pkcs11t.h), named without CKR_; the vendor range 0x80000000+ is KMIP's extension range.
    const rc = enumDef('PKCS_11ReturnCode');
    assert.equal(enumForTag(Tag.PKCS_11ReturnCode), rc);
    assert.equal(Enum.PKCS_11ReturnCode.OK, 0);
    assert.equal(Enum.PKCS_11ReturnCode.ARGUMENTS_BAD, 0x7);
    assert.equal(Enum.PKCS_11ReturnCode.USER_NOT_LOGGED_IN, 0x101);
    assert.equal(Enum.PKCS_11ReturnCode.BUFFER_TOO_SMALL, 0x150);
    assert.equal(Enum.PKCS_11ReturnCode.PIN_TOO_WEAK, 0x1b8); // OASIS headers; p11-kit has 0x1c3
    assert.equal(Enum.PKCS_11ReturnCode.OPERATION_CANCEL_FAILED, 0x202); // new in 3.0
    assert.equal(rc.values.length, 97);
    assert.equal(rc.values.find((v) => v.value === 0)?.specName, 'CKR_OK');
    assert.ok(rc.values.every((v) => v.value < 0x80000000));
    for (const e of [fn, rc]) {
      assert.deepEqual(e.versions, ['2.0', '2.1']);
      for (const v of e.values) assert.deepEqual(v.versions, ['2.0', '2.1'], `${e.name}.${v.name}`);
    }
  });
});

describe('registry: counts', () => {
  it('has every tag, enumeration and mask of 1.0–2.1', (t) => {
    const enums = ENUMS.filter((e) => e.kind === 'enumeration');
    const masks = ENUMS.filter((e) => e.kind === 'mask');
    const values = ENUMS.reduce((n, e) => n + e.values.length, 0);
    t.diagnostic(`all: ${TAGS.length} tags, ${enums.length} enumerations, ${masks.length} masks, ${values} values, ${ITEM_TYPES.length} item types`);
    for (const v of KMIP_VERSIONS) {
      const count = (xs: readonly { versions: readonly string[] }[]) => xs.filter((x) => x.versions.includes(v)).length;
      const inV = ENUMS.reduce((n, e) => n + count(e.values), 0);
      t.diagnostic(`${v}: ${count(TAGS)} tags, ${count(enums)} enumerations, ${count(masks)} masks, ${inV} values, ${count(ITEM_TYPES)} item types`);
    }
    // 1.0 defines 0x420001–0x4200A1; 2.1 defines up to 0x420176 less 20 reserved.
    assert.equal(TAGS.filter((x) => x.versions.includes('1.0')).length, 161);
    assert.equal(TAGS.filter((x) => x.versions.includes('2.1')).length, 354);
    assert.ok(TAGS.length >= 370);
    assert.ok(enums.length >= 60);
    assert.equal(masks.length, 3);
    assert.ok(values >= 850);
  });
});

// ---------------------------------------------------------------------------
// (e) Names the OASIS XML vectors use: every element name is a tag, every
// Enumeration value and every symbolic mask bit is a value of the tag's
// enumeration (for 1.x AttributeValue: of the attribute named by the sibling
// AttributeName).

/** Vector folders outside the registry's scope. */
const EXCLUDED_FOLDERS: readonly { path: string; why: string }[] = [
  { path: 'cosmian-kmip/v3.0/', why: 'KMIP 3.0 draft (csd01): User, Group, credential objects etc. are not in 1.0–2.1' },
];

/** Names the vectors use that no KMIP 1.0–2.1 table defines. The test fails if one is no longer needed. */
const NON_STANDARD_NAMES: ReadonlyMap<string, string> = new Map([
  ['tag TTLV', 'ovh-kmip-go wrapper element around raw TTLV hex (TC_71/72 message-extension tests), not a KMIP tag'],
  ['CryptographicUsageMask.ContentCommitment', '2.0 Test Cases cnd02 (a draft) name bit 0x400, which 2.x marks (Reserved) and 1.x calls Content Commitment (Non Repudiation)'],
  ['ResultReason.NotAuthorized', '2.0 Test Cases cnd02 (TC-DLOGIN-2-20, a draft); the spec spells it Not Authorised'],
]);

function* xmlFiles(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* xmlFiles(path);
    else if (entry.name.endsWith('.xml')) yield path;
  }
}

/** Unknown names found in the vectors → files using them. */
function unresolvedVectorNames(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const note = (name: string, file: string) => found.set(name, [...(found.get(name) ?? []), file]);
  for (const path of xmlFiles(root)) {
    const file = path.slice(root.length + 1);
    if (EXCLUDED_FOLDERS.some((x) => file.startsWith(x.path))) continue;
    const xml = readFileSync(path, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    let attributeName: string | undefined;
    for (const m of xml.matchAll(/<([A-Za-z_]\w*)\b([^>]*?)\/?>/g)) {
      const element = m[1]!;
      const attrs = m[2]!;
      if (element === 'KMIP' || element === 'KmipTestCase') continue;
      if (tagByName(element) === undefined) note(`tag ${element}`, file);
      const type = /\btype="([^"]*)"/.exec(attrs)?.[1];
      const value = /\bvalue="([^"]*)"/.exec(attrs)?.[1];
      if (element === 'AttributeName') attributeName = value;
      if (value === undefined || (type !== 'Enumeration' && type !== 'Integer')) continue;
      // Numeric forms (8-hex-digit, decimal) and test placeholders need no name.
      if (/^\s*(0x[0-9a-f]+|-?\d+)\s*$/i.test(value) || value.startsWith('$')) continue;
      const tagName = element === 'AttributeValue' && attributeName !== undefined ? normalizeName(attributeName) : element;
      const def = enumForTag(tagByName(tagName)?.value ?? -1);
      if (def === undefined) {
        note(`${type} ${tagName} has no enumeration`, file);
        continue;
      }
      // A mask is written as its bit names separated by spaces (or '|').
      const names = type === 'Integer' ? value.split(/[\s|]+/).filter((n) => n !== '') : [value];
      for (const n of names) if (enumValueByNameOf(def, n) === undefined) note(`${def.name}.${n}`, file);
    }
  }
  return found;
}

/**
 * Names a vector uses in a message of a KMIP version that, per the registry,
 * does not define that name: 'version Enumeration.Name' → why. The test
 * fails if one is no longer needed.
 */
const NAMES_OUTSIDE_THEIR_VERSION: ReadonlyMap<string, string> = new Map(
  [
    ['1.1', 'SHA_1WithRSAEncryption'], ['1.1', 'SHA_256WithRSAEncryption'],
    ['1.2', 'SHA_1WithRSAEncryption'], ['1.2', 'SHA_256WithRSAEncryption'],
    ['1.4', 'SHA_256WithRSAEncryption'],
  ].map(([version, name]) => [
    `${version} DigitalSignatureAlgorithm.${name}`,
    'KMIP 1.1–1.4 print Digital Signature Algorithm 3 and 5 as "SHA-1 / SHA-256 with RSA Encryption (PKCS#1 v1.5)" ' +
      '(1.4 §9.1.3.2.7 Table 295; versions.tsv, derived from every edition, has that name from 1.1), normalized SHA_1WithRSAEncryptionPKCS_1V1_5; ' +
      'the 1.x vectors (OVH TC-132/TC-134 for 1.1/1.2, OASIS Test Cases 1.4 cnprd01 TC-CERTATTR-1-14, TC-PKCS12-2-14) use the 2.0 name. ' +
      'Both parse; a 1.x message is printed with the 1.x name.',
  ]),
);

/** 'version Enumeration.Name' → files: names used in a Request/Response Message of a version the registry says lacks them. */
function namesOutsideTheirVersion(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const path of xmlFiles(root)) {
    const file = path.slice(root.length + 1);
    if (EXCLUDED_FOLDERS.some((x) => file.startsWith(x.path))) continue;
    const xml = readFileSync(path, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    for (const msg of xml.matchAll(/<(RequestMessage|ResponseMessage)\b[\s\S]*?<\/\1\s*>/g)) {
      const major = /<ProtocolVersionMajor\b[^>]*\bvalue="(\d+)"/.exec(msg[0])?.[1];
      const minor = /<ProtocolVersionMinor\b[^>]*\bvalue="(\d+)"/.exec(msg[0])?.[1];
      const version = `${major}.${minor}`;
      if (!(KMIP_VERSIONS as readonly string[]).includes(version)) continue;
      let attributeName: string | undefined;
      for (const m of msg[0].matchAll(/<([A-Za-z_]\w*)\b([^>]*?)\/?>/g)) {
        const element = m[1]!;
        const type = /\btype="([^"]*)"/.exec(m[2]!)?.[1];
        const value = /\bvalue="([^"]*)"/.exec(m[2]!)?.[1];
        if (element === 'AttributeName') attributeName = value;
        if (value === undefined || (type !== 'Enumeration' && type !== 'Integer')) continue;
        if (/^\s*(0x[0-9a-f]+|-?\d+)\s*$/i.test(value) || value.startsWith('$')) continue;
        const tagName = element === 'AttributeValue' && attributeName !== undefined ? normalizeName(attributeName) : element;
        const def = enumForTag(tagByName(tagName)?.value ?? -1);
        if (def === undefined) continue;
        for (const n of type === 'Integer' ? value.split(/[\s|]+/).filter((x) => x !== '') : [value]) {
          const v = def.values.find((x) => x.name === n) ?? def.values.find((x) => x.aliases?.includes(n));
          if (v === undefined || (v.versions as readonly string[]).includes(version)) continue; // unknown names: the next test
          const key = `${version} ${def.name}.${n}`;
          found.set(key, [...new Set([...(found.get(key) ?? []), file])]);
        }
      }
    }
  }
  return found;
}

describe('registry: names used by the OASIS XML vectors', () => {
  it("every name a vector's message uses is defined in that message's protocol version (listed exceptions aside)", (t) => {
    const outside = namesOutsideTheirVersion(reference('kmip-testcases'));
    for (const [name, files] of outside) t.diagnostic(`${name}: ${files.length} file(s), e.g. ${files[0]}`);
    const unexpected = [...outside.keys()].filter((n) => !NAMES_OUTSIDE_THEIR_VERSION.has(n));
    assert.deepEqual(unexpected, [], 'names used in a version that, per the registry, lacks them');
    const stale = [...NAMES_OUTSIDE_THEIR_VERSION.keys()].filter((n) => !outside.has(n));
    assert.deepEqual(stale, [], 'exceptions no vector needs any more');
  });

  it('every tag, enumeration and mask name in the vectors resolves (listed exceptions aside)', (t) => {
    const unresolved = unresolvedVectorNames(reference('kmip-testcases'));
    for (const [name, files] of unresolved) t.diagnostic(`${name}: ${files.length} file(s), e.g. ${files[0]}`);
    const unexpected = [...unresolved.keys()].filter((n) => !NON_STANDARD_NAMES.has(n));
    assert.deepEqual(unexpected, [], 'names the registry does not know');
    const stale = [...NON_STANDARD_NAMES.keys()].filter((n) => !unresolved.has(n));
    assert.deepEqual(stale, [], 'exceptions no vector needs any more');
  });
});
