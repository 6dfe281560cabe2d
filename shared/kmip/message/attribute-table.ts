// Which tags are object attributes in KMIP 1.x and in KMIP 2.x, as data.
//
// Names are spec spellings (1.4 §3, 2.1 §4); the internal attribute name is the
// normalized tag name (Additional Message Encodings §4.1.3, registry
// normalizeName), and tag values and per-version availability come from the
// registry. Nothing here is a tag number.
//
// A 1.x attribute is available in a 1.x version when the registry defines its
// tag there; the same holds for 2.x. Custom Attribute (1.x 'x-…' / 'y-…') and
// Vendor Attribute (2.x) are not listed: they are vendor names (see attributes.ts).
//
// Each row also gives the item type(s) of the attribute's value (the spec's
// Encoding column). The registry's tag → enumeration link cannot stand in for
// it: it names values, it does not fix the type (2.x Unique Identifier is a
// Text String, an Enumeration or an Integer).
import type { ItemTypeName } from '../ttlv/types.js';

type Row = readonly [specName: string, types: readonly ItemTypeName[]];
type Types = readonly ItemTypeName[];
const S: Types = ['Structure'];
const E: Types = ['Enumeration'];
const I: Types = ['Integer'];
const IV: Types = ['Interval'];
const D: Types = ['DateTime'];
const T: Types = ['TextString'];
const B: Types = ['Boolean'];
const BS: Types = ['ByteString'];

/** Certificate Subject / Issuer fields (2.1 §4.6 Certificate Attributes). */
const CERT_FIELDS = ['CN', 'O', 'OU', 'Email', 'C', 'ST', 'L', 'UID', 'Serial Number', 'Title', 'DC', 'DN Qualifier'];

/** Attributes in both KMIP 1.x (as Attribute Name text) and 2.x (as tagged items). */
const BOTH: readonly Row[] = [
  ['Unique Identifier', ['TextString', 'Enumeration', 'Integer']],
  ['Name', S],
  ['Object Type', E],
  ['Cryptographic Algorithm', E],
  ['Cryptographic Length', I],
  ['Cryptographic Parameters', S],
  ['Cryptographic Domain Parameters', S],
  ['Certificate Type', E],
  ['Certificate Length', I], // 1.1+
  ['X.509 Certificate Identifier', S], // 1.1+
  ['X.509 Certificate Subject', S], // 1.1+
  ['X.509 Certificate Issuer', S], // 1.1+
  ['Digital Signature Algorithm', E], // 1.1+
  ['Digest', S],
  ['Cryptographic Usage Mask', I],
  ['Lease Time', IV],
  ['Usage Limits', S],
  ['State', E],
  ['Initial Date', D],
  ['Activation Date', D],
  ['Process Start Date', D],
  ['Protect Stop Date', D],
  ['Deactivation Date', D],
  ['Destroy Date', D],
  ['Compromise Occurrence Date', D],
  ['Compromise Date', D],
  ['Revocation Reason', S],
  ['Archive Date', D],
  ['Object Group', T],
  ['Fresh', B], // 1.1+
  ['Link', S],
  ['Application Specific Information', S],
  ['Contact Information', T],
  ['Last Change Date', D],
  ['Alternative Name', S], // 1.2+
  ['Key Value Present', B], // 1.2+
  ['Key Value Location', S], // 1.2+
  ['Original Creation Date', D], // 1.2+
  ['Random Number Generator', S], // 1.3+
  ['PKCS#12 Friendly Name', T], // 1.4+
  ['Description', T], // 1.4+
  ['Comment', T], // 1.4+
  ['Sensitive', B], // 1.4+
  ['Always Sensitive', B], // 1.4+
  ['Extractable', B], // 1.4+
  ['Never Extractable', B], // 1.4+
  // KMIP 1.4 defines these tags and its test cases (TC-CERTATTR-1-14) use them
  // as attributes; 2.x lists them together as "Certificate Attributes" (2.1
  // §4.6), each still an attribute of its own (TC-CERTATTR-1-20).
  ...['Subject', 'Issuer'].flatMap((who) => CERT_FIELDS.map((f): Row => [`Certificate ${who} ${f}`, T])), // 1.4+
];

/** KMIP 1.x attributes with no 2.x attribute of their own, and why. */
const V1_ONLY: readonly (readonly [...Row, note: string])[] = [
  ['Certificate Identifier', S, 'deprecated in 1.1, removed in 2.0: use X.509 Certificate Identifier'],
  ['Certificate Subject', S, 'deprecated in 1.1, removed in 2.0: use X.509 Certificate Subject'],
  ['Certificate Issuer', S, 'deprecated in 1.1, removed in 2.0: use X.509 Certificate Issuer'],
  ['Operation Policy Name', T, 'deprecated in 1.3, removed in 2.0'],
];

/** KMIP 2.x attributes with no 1.x Attribute Name. */
const V2_ONLY: readonly Row[] = [
  ['Key Format Type', E],
  ['NIST Key Type', E],
  ['Opaque Data Type', E],
  ['Protection Level', E],
  ['Protection Period', IV],
  ['Protection Storage Mask', I],
  ['Quantum Safe', B],
  ['Rotate Automatic', B],
  ['Rotate Date', D],
  ['Rotate Generation', I],
  ['Rotate Interval', IV],
  ['Rotate Latest', B],
  ['Rotate Name', S],
  ['Rotate Offset', IV],
  ['Short Unique Identifier', BS],
];

export interface AttributeSpec {
  /** Spec spelling; in 1.x also the Attribute Name text. */
  readonly specName: string;
  /** Exists as a 1.x attribute (by Attribute Name). */
  readonly v1: boolean;
  /** Exists as a 2.x attribute (as an item in Attributes). */
  readonly v2: boolean;
  /** Item type(s) of the value. */
  readonly types: readonly ItemTypeName[];
  /** Why it has no form in the other major version. */
  readonly note?: string;
}

export const ATTRIBUTE_SPECS: readonly AttributeSpec[] = [
  ...BOTH.map(([specName, types]) => ({ specName, types, v1: true, v2: true })),
  ...V1_ONLY.map(([specName, types, note]) => ({ specName, types, v1: true, v2: false, note })),
  ...V2_ONLY.map(([specName, types]) => ({ specName, types, v1: false, v2: true, note: 'KMIP 2.x only' })),
];

/** 1.x Custom Attribute name prefixes ↔ 2.x Vendor Identification (2.1 §4.60: "x" and "y" are reserved for them). */
export const CUSTOM_PREFIXES: readonly string[] = ['x', 'y'];
